import type { Policy } from '@skyroad/governance';

/** An instance as the registry describes it (docs/registry-api.md). */
export interface Instance {
  readonly id: string;
  readonly namespace: string;
  readonly service: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly enabled: boolean;
  readonly healthy: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly ttl: number;
  readonly registeredAt?: string;
  readonly lastHeartbeatAt?: string;
  readonly revision: number;
}

/** A service's governance policy as the registry stores it. */
export interface PolicyRecord {
  readonly namespace: string;
  readonly service: string;
  readonly revision: number;
  readonly policy: Policy;
  readonly updatedBy?: string;
  readonly updatedAt?: string;
}

/** Where a log line goes; the SDK is silent unless given one. */
export interface SkyroadLogger {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
}

export const silentLogger: SkyroadLogger = { info: () => undefined, warn: () => undefined };
