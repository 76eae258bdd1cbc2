import { validatePolicy, type Policy } from '@skyroad/governance';
import type { KeySpaceCache } from '../cache/key-space-cache';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import type { InstanceRegistry } from '../instances/instance-registry';
import { policyKey } from '../keys';
import { MAX_CAS_ATTEMPTS } from '../limits';
import type { AuditLog } from '../persistence/audit-log';
import type { RegistryStore } from '../store/registry-store';
import type { PolicyHistory, PolicyVersion } from './policy-history';
import { decodePolicy, type PolicyRecord, type StoredPolicy } from './policy-record';

/**
 * Policies live in the store (the key's mod revision is the policy's revision); every version
 * is also kept in the history table, which is what a rollback goes back to.
 */
export class PolicyService {
  constructor(
    private readonly store: RegistryStore,
    private readonly cache: KeySpaceCache,
    private readonly instances: InstanceRegistry,
    private readonly history: PolicyHistory,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Synchronous read from the cache, for watch snapshots. */
  current(ns: string, svc: string): PolicyRecord | null {
    const kv = this.cache.get(policyKey(ns, svc));
    return (kv && decodePolicy(ns, svc, kv)) ?? null;
  }

  async get(ns: string, svc: string): Promise<PolicyRecord> {
    // Answered from the cache (after this node's own last write), never from the store.
    await this.instances.requireNamespace(ns);
    const record = this.current(ns, svc);
    if (!record) throw new NotFoundError(`service "${svc}" has no policy`);
    return record;
  }

  async put(ns: string, svc: string, document: unknown, actor: string): Promise<PolicyRecord> {
    const checked = validatePolicy(document);
    if (!checked.ok) throw new InvalidInputError(checked.errors);
    await this.instances.requireNamespace(ns, true);
    const record = await this.write(ns, svc, checked.policy, actor);
    const version = await this.history.append(ns, svc, { ...this.versionOf(record), action: 'put' });
    await this.audit.record({
      actor,
      action: 'policy.put',
      namespace: ns,
      service: svc,
      target: String(version.version),
      detail: { revision: record.revision, policy: record.policy },
    });
    return record;
  }

  async rollback(ns: string, svc: string, version: number, actor: string): Promise<PolicyRecord> {
    await this.instances.requireNamespace(ns, true);
    const target = await this.history.find(ns, svc, version);
    if (!target) throw new NotFoundError(`service "${svc}" has no policy version ${version}`);
    const record = await this.write(ns, svc, target.policy, actor);
    const added = await this.history.append(ns, svc, {
      ...this.versionOf(record),
      action: 'rollback',
      rollbackOf: version,
    });
    await this.audit.record({
      actor,
      action: 'policy.rollback',
      namespace: ns,
      service: svc,
      target: String(added.version),
      detail: { revision: record.revision, rollbackOf: version },
    });
    return record;
  }

  async versions(ns: string, svc: string): Promise<PolicyVersion[]> {
    await this.instances.requireNamespace(ns);
    return this.history.list(ns, svc);
  }

  private versionOf(record: PolicyRecord): Omit<PolicyVersion, 'version' | 'action'> {
    return {
      revision: record.revision,
      policy: record.policy,
      updatedBy: record.updatedBy,
      updatedAt: record.updatedAt,
    };
  }

  private async write(ns: string, svc: string, policy: Policy, actor: string): Promise<PolicyRecord> {
    const key = policyKey(ns, svc);
    const stored: StoredPolicy = { policy, updatedBy: actor, updatedAt: this.now().toISOString() };
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const existing = await this.store.get(key);
      const result = await this.store.compareAndPut(key, JSON.stringify(stored), existing?.modRevision ?? 0);
      if (!result.succeeded) continue;
      this.cache.noteWrite(result.revision);
      return { namespace: ns, service: svc, revision: result.revision, ...stored };
    }
    throw new ConflictError(`the policy of "${svc}" is being changed concurrently; try again`);
  }
}
