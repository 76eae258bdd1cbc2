import { decodeInstance, type Instance } from '../instances/instance';
import type { StoredKey } from '../store/registry-store';

interface Decoded {
  /** The heartbeat time laid over the stored value when this was decoded. */
  readonly heartbeat: string | undefined;
  /** undefined: the value is not an instance. Never mutated (it is shared by every answer). */
  readonly instance: Instance | undefined;
  /** JSON.stringify(instance), made once. */
  readonly json: string | undefined;
}

/**
 * Each stored instance decoded once rather than on every discovery query. Entries hang off the
 * cache's StoredKey objects, which the cache replaces on every put and drops on delete, so an
 * update or a deletion drops its entry with it; a newer heartbeat time decodes the key again
 * (decodeInstance is the one decoding, so a kept entry is what a fresh decode would give).
 */
export class DecodedInstances {
  private readonly entries = new WeakMap<StoredKey, Decoded>();

  get(kv: StoredKey, heartbeat: string | undefined): Decoded {
    const kept = this.entries.get(kv);
    if (kept && kept.heartbeat === heartbeat) return kept;
    const instance = decodeInstance(kv, heartbeat);
    const decoded: Decoded = { heartbeat, instance, json: instance && JSON.stringify(instance) };
    this.entries.set(kv, decoded);
    return decoded;
  }
}
