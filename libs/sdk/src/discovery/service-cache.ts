import type { Policy } from '@skyroad/governance';
import type { Instance, PolicyRecord } from '../types.ts';

/** What the cache holds, and what the failover file keeps on disk. */
export interface ServiceSnapshot {
  readonly revision: number;
  readonly instances: readonly Instance[];
  readonly policy: PolicyRecord | null;
}

/**
 * The local view of one service: its instances and its policy, kept current by the watch.
 * Two protections keep a bad push from taking traffic down (as Nacos clients do):
 * - an empty snapshot is not applied while instances are known (push-empty protection);
 * - when every enabled instance is unhealthy, the last healthy set stays in use.
 */
export class ServiceCache {
  private readonly instances = new Map<string, Instance>();
  private policyRecord: PolicyRecord | null = null;
  private lastEligible: Instance[] = [];
  private eligibleCache: Instance[] | undefined;
  revision = 0;
  /** True once a snapshot (from the registry or the failover file) has been applied. */
  loaded = false;
  /** Where the current data came from. */
  source: 'none' | 'registry' | 'failover' = 'none';

  /** Applies a full snapshot; returns false when push-empty protection refused it. */
  applySnapshot(snapshot: ServiceSnapshot, source: 'registry' | 'failover'): boolean {
    this.revision = Math.max(this.revision, snapshot.revision);
    this.policyRecord = snapshot.policy;
    if (snapshot.instances.length === 0 && this.instances.size > 0) {
      this.loaded = true;
      return false;
    }
    this.instances.clear();
    for (const i of snapshot.instances) this.instances.set(i.id, i);
    this.loaded = true;
    this.source = source;
    this.eligibleCache = undefined;
    return true;
  }

  applyInstance(type: 'PUT' | 'DELETE', instance: Instance, revision: number): void {
    this.revision = Math.max(this.revision, revision);
    if (type === 'PUT') this.instances.set(instance.id, instance);
    else this.instances.delete(instance.id);
    this.source = 'registry';
    this.eligibleCache = undefined;
  }

  applyPolicy(record: PolicyRecord | null, revision: number): void {
    this.revision = Math.max(this.revision, revision);
    this.policyRecord = record;
  }

  get policy(): Policy {
    return this.policyRecord?.policy ?? {};
  }

  get policyRecordOrNull(): PolicyRecord | null {
    return this.policyRecord;
  }

  /** All known instances, healthy or not, sorted by id. */
  all(): Instance[] {
    return [...this.instances.values()].sort(byId);
  }

  /** Healthy, enabled instances sorted by id (a stable order for the balancers). */
  eligible(): Instance[] {
    if (this.eligibleCache) return this.eligibleCache;
    const enabled = this.all().filter((i) => i.enabled);
    const healthy = enabled.filter((i) => i.healthy);
    if (healthy.length > 0 || enabled.length === 0) {
      this.lastEligible = healthy;
      this.eligibleCache = healthy;
    } else {
      // Every enabled instance is unhealthy: a registry-side problem is more likely than all of
      // them failing at once, so keep sending to the last healthy set (latest data for each).
      this.eligibleCache = this.lastEligible.map((i) => this.instances.get(i.id) ?? i);
    }
    return this.eligibleCache;
  }

  snapshot(): ServiceSnapshot {
    return { revision: this.revision, instances: this.all(), policy: this.policyRecord };
  }
}

function byId(a: Instance, b: Instance): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
