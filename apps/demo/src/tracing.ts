// Loaded first by main.ts: OpenTelemetry must patch http and fetch before they are used.
import { startTelemetry } from '@skyroad/telemetry';

const roleIndex = process.argv.indexOf('--role');
const role = roleIndex >= 0 ? process.argv[roleIndex + 1] : 'demo';
export const telemetry = startTelemetry({ serviceName: role ?? 'demo' });
