import { validatePolicy } from '@skyroad/governance';
import type { Instance, PolicyRecord } from '../types.ts';

/** Reads an instance off the wire; undefined when the object is not one. */
export function readInstance(value: unknown): Instance | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.host !== 'string' || typeof v.port !== 'number') return undefined;
  const metadata: Record<string, string> = {};
  if (typeof v.metadata === 'object' && v.metadata !== null) {
    for (const [k, m] of Object.entries(v.metadata)) if (typeof m === 'string') metadata[k] = m;
  }
  return {
    id: v.id,
    namespace: typeof v.namespace === 'string' ? v.namespace : '',
    service: typeof v.service === 'string' ? v.service : '',
    host: v.host,
    port: v.port,
    weight: typeof v.weight === 'number' ? v.weight : 100,
    enabled: v.enabled !== false,
    healthy: v.healthy !== false,
    metadata,
    ttl: typeof v.ttl === 'number' ? v.ttl : 0,
    registeredAt: typeof v.registeredAt === 'string' ? v.registeredAt : undefined,
    lastHeartbeatAt: typeof v.lastHeartbeatAt === 'string' ? v.lastHeartbeatAt : undefined,
    revision: typeof v.revision === 'number' ? v.revision : 0,
  };
}

export function readInstances(value: unknown): Instance[] {
  if (!Array.isArray(value)) return [];
  return value.map(readInstance).filter((i): i is Instance => i !== undefined);
}

/**
 * Reads a policy record. `invalid` carries the reasons when the record is there but its
 * document does not validate: the SDK then keeps the last valid one.
 */
export function readPolicyRecord(
  value: unknown,
): { record: PolicyRecord | null; invalid?: undefined } | { record?: undefined; invalid: string[] } {
  if (value === null || value === undefined) return { record: null };
  if (typeof value !== 'object') return { invalid: ['policy record: must be an object'] };
  const v = value as Record<string, unknown>;
  const checked = validatePolicy(v.policy ?? {});
  if (!checked.ok) return { invalid: checked.errors };
  return {
    record: {
      namespace: typeof v.namespace === 'string' ? v.namespace : '',
      service: typeof v.service === 'string' ? v.service : '',
      revision: typeof v.revision === 'number' ? v.revision : 0,
      policy: checked.policy,
      updatedBy: typeof v.updatedBy === 'string' ? v.updatedBy : undefined,
      updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : undefined,
    },
  };
}
