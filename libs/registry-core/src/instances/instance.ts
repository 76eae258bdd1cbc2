import type { Instance } from '@skyroad/governance';
import type { StoredKey } from '../store/registry-store';

export type { Instance };

/** What is stored at the instance's key: the instance without what the store already says. */
export type StoredInstance = Omit<Instance, 'revision' | 'healthy'>;

export function encodeInstance(instance: StoredInstance): string {
  const {
    id,
    namespace,
    service,
    host,
    port,
    weight,
    enabled,
    metadata,
    ttl,
    registeredAt,
    lastHeartbeatAt,
  } = instance;
  return JSON.stringify({
    id,
    namespace,
    service,
    host,
    port,
    weight,
    enabled,
    metadata,
    ttl,
    registeredAt,
    lastHeartbeatAt,
  });
}

/** Decodes a stored instance; undefined for a value that is not one (written by someone else). */
export function decodeInstance(kv: StoredKey, lastHeartbeatAt?: string): Instance | undefined {
  let stored: StoredInstance;
  try {
    stored = JSON.parse(kv.value) as StoredInstance;
  } catch {
    return undefined;
  }
  if (typeof stored !== 'object' || stored === null || typeof stored.id !== 'string') return undefined;
  const heartbeat =
    lastHeartbeatAt !== undefined && lastHeartbeatAt > stored.lastHeartbeatAt
      ? lastHeartbeatAt
      : stored.lastHeartbeatAt;
  return { ...stored, healthy: true, lastHeartbeatAt: heartbeat, revision: kv.modRevision };
}
