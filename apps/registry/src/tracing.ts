// Imported first by main.ts: OpenTelemetry must patch http, express and NestJS before they load.
import { startTelemetry } from '@skyroad/telemetry';

export const telemetry = startTelemetry({ serviceName: 'skyroad-registry' });
