import { createHash } from 'node:crypto';
import type { ServiceSummary } from '@skyroad/governance';
import type { KeySpaceCache } from '../cache/key-space-cache';
import type { L2Group } from '../cache/redis-l2-cache';
import type { DegradedMode } from '../availability/degraded-mode';
import { HeartbeatTimes } from './heartbeat-times';
import { ConflictError, NotFoundError, StoreUnavailableError, UnavailableError } from '../errors';
import {
  NAMESPACES_PREFIX,
  instanceKey,
  namespaceInstancesPrefix,
  namespaceKey,
  parseKey,
  policyKey,
  servicePrefix,
  GOVERNANCE_PREFIX,
  REGISTRY_PREFIX,
} from '../keys';
import { DEFAULT_TTL_SECONDS, DEFAULT_WEIGHT, MAX_CAS_ATTEMPTS, READ_YOUR_WRITES_WAIT_MS } from '../limits';
import { LeaseNotFoundError, type RegistryStore, type StoredKey } from '../store/registry-store';
import { INSTANCE_ID_PATTERN } from '../validation/names';
import type { PatchInstanceInput, RegisterInstanceInput } from '../validation/instance-schemas';
import { decodeInstance, encodeInstance, type Instance, type StoredInstance } from './instance';
import {
  InstanceListAnswers,
  serializeInstanceList,
  type SerializedInstanceList,
} from '../discovery/instance-list-answers';

export const DEFAULT_NAMESPACE = 'default';

/** Where writes are recorded (the audit table); a failure to record never undoes a write. */
export interface AuditSink {
  record(entry: {
    actor: string;
    action: string;
    namespace?: string;
    service?: string;
    target?: string;
    detail?: unknown;
  }): Promise<void>;
}

export interface HeartbeatResult {
  id: string;
  ttl: number;
  revision: number;
}

export type { ServiceSummary };

export interface InstanceList {
  namespace: string;
  service: string;
  revision: number;
  instances: Instance[];
}

/** The shared L2 copy, read when L1 cannot answer. */
export interface L2Reader {
  readGroup(group: string): Promise<L2Group | undefined>;
}

/** Discovery answers by where they came from, for metrics. */
export interface DiscoveryStats {
  l1Hits: number;
  l1Misses: number;
}

/** The id given to an instance registered without one: stable per endpoint, so re-registering replaces. */
/** The record a registration writes: registered and last renewed at `at`, enabled. */
function newStoredInstance(
  ns: string,
  svc: string,
  id: string,
  input: RegisterInstanceInput,
  ttl: number,
  at: string,
): StoredInstance {
  return {
    id,
    namespace: ns,
    service: svc,
    host: input.host,
    port: input.port,
    weight: input.weight ?? DEFAULT_WEIGHT,
    enabled: true,
    metadata: input.metadata ?? {},
    ttl,
    registeredAt: at,
    lastHeartbeatAt: at,
  };
}

export function defaultInstanceId(service: string, host: string, port: number): string {
  const readable = `${service}-${host}-${port}`;
  if (INSTANCE_ID_PATTERN.test(readable)) return readable;
  const digest = createHash('sha256').update(`${host}:${port}`).digest('hex').slice(0, 16);
  return `${service}-${digest}-${port}`;
}

/**
 * Instances and namespaces: writes go to the store (one lease per instance, TTL = the
 * instance's ttl; a heartbeat is one lease keep-alive), reads come from the KeySpaceCache.
 * lastHeartbeatAt is kept in memory and laid over the stored value, so a heartbeat never
 * writes a key (and never wakes every watcher).
 */
export class InstanceRegistry {
  private readonly unsubscribe: () => void;
  readonly stats: DiscoveryStats = { l1Hits: 0, l1Misses: 0 };
  private l2: L2Reader | undefined;
  private degraded: DegradedMode | undefined;
  private readonly answers: InstanceListAnswers;

  constructor(
    private readonly store: RegistryStore,
    private readonly cache: KeySpaceCache,
    private readonly audit: AuditSink,
    private readonly now: () => Date = () => new Date(),
    readonly heartbeats: HeartbeatTimes = new HeartbeatTimes(),
  ) {
    this.answers = new InstanceListAnswers(cache, heartbeats);
    // Forget heartbeat times of instances that are gone, so the map stays as big as the registry.
    this.unsubscribe = cache.subscribe({
      onEvents: (events) => {
        for (const event of events) if (event.type === 'DELETE') this.heartbeats.delete(event.key);
      },
    });
  }

  close(): void {
    this.unsubscribe();
  }

  setL2(l2: L2Reader | undefined): void {
    this.l2 = l2;
  }

  /** With degraded mode, instance writes the store cannot take are journaled instead of refused. */
  setDegraded(degraded: DegradedMode | undefined): void {
    this.degraded = degraded;
  }

  /**
   * Runs `viaStore`, or `degraded` when degraded mode is on or the store turns out to be gone
   * (the store is then declared lost at once, not after the probe's delay).
   */
  private async withFallback<T>(viaStore: () => Promise<T>, degraded: () => Promise<T>): Promise<T> {
    if (!this.degraded) return viaStore();
    if (this.degraded.active) return degraded();
    // A store that hangs rather than refuses would hold the call until its deadline: once the
    // registry declares the store lost, the call is answered the degraded way (the store call may
    // still land; journal replays are idempotent).
    const entered = this.degraded.entered();
    const attempt = viaStore();
    try {
      const first = await Promise.race([
        attempt.then((value) => ({ value })),
        entered.promise.then(() => undefined),
      ]);
      if (first) return first.value;
      attempt.catch(() => undefined);
      return degraded();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.degraded.enter();
      return degraded();
    } finally {
      entered.cancel();
    }
  }

  /**
   * Reads are answered from L1 and never reach the store. When the cache follows the store it
   * first shows this node's own last write; when it lost the store it answers with what it has.
   */
  private async fresh(): Promise<void> {
    if (this.cache.state === 'synced') await this.cache.catchUp(READ_YOUR_WRITES_WAIT_MS);
    this.requireServing();
  }

  private requireServing(): void {
    if (!this.cache.serving) throw new UnavailableError(`the registry cache is ${this.cache.state}`);
  }

  // ---- namespaces

  async namespaces(): Promise<{ revision: number; namespaces: string[] }> {
    await this.fresh();
    const names = new Set<string>([DEFAULT_NAMESPACE]);
    for (const kv of this.cache.list(NAMESPACES_PREFIX)) {
      const parsed = parseKey(kv.key);
      if (parsed.kind === 'namespace') names.add(parsed.namespace);
    }
    return { revision: this.cache.revision, namespaces: [...names].sort() };
  }

  async createNamespace(name: string, actor: string): Promise<{ name: string; revision: number }> {
    if (name === DEFAULT_NAMESPACE) throw new ConflictError(`namespace "${name}" already exists`);
    const value = JSON.stringify({ name, createdAt: this.now().toISOString() });
    const result = await this.store.compareAndPut(namespaceKey(name), value, 0);
    if (!result.succeeded) throw new ConflictError(`namespace "${name}" already exists`);
    this.cache.noteWrite(result.revision);
    await this.audit.record({
      actor,
      action: 'namespace.create',
      namespace: name,
      detail: { revision: result.revision },
    });
    return { name, revision: result.revision };
  }

  /**
   * Throws NotFoundError unless the namespace exists. Reads trust the cache; a write also asks
   * the store, as the cache may lag a namespace just created through another registry node.
   * So a write does not wait for L1 to show this node's own last write, as reads do: under
   * concurrent registrations that wait queued each one behind the previous one's watch event.
   */
  async requireNamespace(ns: string, forWrite = false): Promise<void> {
    if (forWrite) this.requireServing();
    else await this.fresh();
    if (ns === DEFAULT_NAMESPACE) return;
    if (this.cache.get(namespaceKey(ns))) return;
    if (forWrite && (await this.store.get(namespaceKey(ns)))) return;
    throw new NotFoundError(`namespace "${ns}" does not exist`);
  }

  // ---- instances

  async register(ns: string, svc: string, input: RegisterInstanceInput, actor: string): Promise<Instance> {
    return this.withFallback(
      () => this.registerInStore(ns, svc, input, actor),
      () => this.registerDegraded(ns, svc, input, actor),
    );
  }

  private async registerDegraded(
    ns: string,
    svc: string,
    input: RegisterInstanceInput,
    actor: string,
  ): Promise<Instance> {
    const degraded = this.degraded as DegradedMode;
    await this.requireNamespace(ns);
    const id = input.id ?? defaultInstanceId(svc, input.host, input.port);
    const key = instanceKey(ns, svc, id);
    const ttl = input.ttl ?? DEFAULT_TTL_SECONDS;
    const at = this.now().toISOString();
    const stored = newStoredInstance(ns, svc, id, input, ttl, at);
    const value = encodeInstance(stored);
    await degraded.record({ op: 'register', key, value, ttl, at });
    const revision = this.cache.revision;
    this.cache.applyLocal({
      type: 'PUT',
      kv: { key, value, createRevision: revision, modRevision: revision, lease: '0' },
    });
    this.heartbeats.note(key, at);
    const instance = { ...stored, healthy: true, revision };
    await this.audit.record({
      actor,
      action: 'instance.register',
      namespace: ns,
      service: svc,
      target: id,
      detail: { ...instance, degraded: true },
    });
    return instance;
  }

  private async registerInStore(
    ns: string,
    svc: string,
    input: RegisterInstanceInput,
    actor: string,
  ): Promise<Instance> {
    await this.requireNamespace(ns, true);
    const id = input.id ?? defaultInstanceId(svc, input.host, input.port);
    const key = instanceKey(ns, svc, id);
    const ttl = input.ttl ?? DEFAULT_TTL_SECONDS;
    // Two store round trips (lease grant, transaction): L1's copy of the key is the guess of
    // what the write replaces, so there is no read first. When the guess is wrong (the key
    // changed through another node a moment ago) the failed compare answers what is there.
    let existing: StoredKey | undefined = this.cache.get(key);
    const lease = await this.store.grantLease(ttl);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const at = this.now().toISOString();
      const stored = newStoredInstance(ns, svc, id, input, ttl, at);
      const result = await this.store.compareAndPut(
        key,
        encodeInstance(stored),
        existing?.modRevision ?? 0,
        lease,
      );
      if (!result.succeeded) {
        existing = result.current === undefined ? await this.store.get(key) : (result.current ?? undefined);
        continue;
      }
      this.cache.noteWrite(result.revision);
      this.heartbeats.note(key, at);
      // The replaced registration's lease has no key left; free it rather than let it run out.
      if (existing && existing.lease !== '0' && existing.lease !== lease)
        await this.store.revokeLease(existing.lease);
      const instance = { ...stored, healthy: true, revision: result.revision };
      await this.audit.record({
        actor,
        action: 'instance.register',
        namespace: ns,
        service: svc,
        target: id,
        detail: instance,
      });
      return instance;
    }
    await this.store.revokeLease(lease);
    throw new ConflictError(`instance "${id}" is being changed concurrently; try again`);
  }

  async heartbeat(ns: string, svc: string, id: string): Promise<HeartbeatResult> {
    return this.withFallback(
      () => this.heartbeatInStore(ns, svc, id),
      () => this.heartbeatDegraded(ns, svc, id),
    );
  }

  private async heartbeatDegraded(ns: string, svc: string, id: string): Promise<HeartbeatResult> {
    const degraded = this.degraded as DegradedMode;
    const key = instanceKey(ns, svc, id);
    await this.fresh();
    const kv = this.cache.get(key);
    if (!kv || degraded.isExpired(key)) throw this.expired(id);
    const at = this.now().toISOString();
    // A registration still waiting in the journal already re-creates the instance on replay.
    const pending = await degraded.journal.pending(key);
    if (pending?.op !== 'register') {
      const ttl = decodeInstance(kv)?.ttl ?? DEFAULT_TTL_SECONDS;
      await degraded.record({ op: 'heartbeat', key, value: kv.value, ttl, at });
    }
    this.heartbeats.note(key, at);
    const instance = decodeInstance(kv);
    return { id, ttl: instance?.ttl ?? DEFAULT_TTL_SECONDS, revision: kv.modRevision };
  }

  private async heartbeatInStore(ns: string, svc: string, id: string): Promise<HeartbeatResult> {
    const key = instanceKey(ns, svc, id);
    // No wait for the cache to show this node's latest write (as reads do): a key L1 does not
    // hold yet is read from the store, and a stale copy's lease fails the renewal below, which
    // then reads the store. Waiting would tie every heartbeat to the newest registration.
    this.requireServing();
    let kv = this.cache.get(key) ?? (await this.store.get(key));
    if (!kv) throw this.expired(id);
    if (kv.lease === '0') {
      // Just mirrored to a standby and not yet given its lease there: the key is what keeps it.
      const current = await this.store.get(key);
      if (!current) throw this.expired(id);
      if (current.lease === '0') {
        this.heartbeats.note(key, this.now().toISOString());
        return {
          id,
          ttl: decodeInstance(current)?.ttl ?? DEFAULT_TTL_SECONDS,
          revision: current.modRevision,
        };
      }
      kv = current;
    }
    let remaining = await this.store.keepAliveOnce(kv.lease);
    if (remaining === undefined) {
      // The cache may show an older registration whose lease was replaced through another node.
      const current = await this.store.get(key);
      if (!current || current.lease === kv.lease) throw this.expired(id);
      kv = current;
      remaining = await this.store.keepAliveOnce(kv.lease);
      if (remaining === undefined) throw this.expired(id);
    }
    this.heartbeats.note(key, this.now().toISOString());
    const instance = decodeInstance(kv);
    return { id, ttl: instance?.ttl ?? remaining, revision: kv.modRevision };
  }

  private expired(id: string): NotFoundError {
    return new NotFoundError(`instance "${id}" is unknown or expired; register it again`);
  }

  async deregister(ns: string, svc: string, id: string, actor: string): Promise<void> {
    return this.withFallback(
      () => this.deregisterInStore(ns, svc, id, actor),
      () => this.deregisterDegraded(ns, svc, id, actor),
    );
  }

  private async deregisterDegraded(ns: string, svc: string, id: string, actor: string): Promise<void> {
    const degraded = this.degraded as DegradedMode;
    const key = instanceKey(ns, svc, id);
    await this.fresh();
    const kv = this.cache.get(key);
    if (!kv) throw new NotFoundError(`instance "${id}" not found`);
    const at = this.now().toISOString();
    await degraded.record({ op: 'deregister', key, ttl: decodeInstance(kv)?.ttl ?? DEFAULT_TTL_SECONDS, at });
    this.cache.applyLocal({ type: 'DELETE', key });
    this.heartbeats.delete(key);
    await this.audit.record({
      actor,
      action: 'instance.deregister',
      namespace: ns,
      service: svc,
      target: id,
      detail: { degraded: true },
    });
  }

  private async deregisterInStore(ns: string, svc: string, id: string, actor: string): Promise<void> {
    const key = instanceKey(ns, svc, id);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw new NotFoundError(`instance "${id}" not found`);
      const result = await this.store.compareAndDelete(key, kv.modRevision);
      if (!result.succeeded) continue;
      this.cache.noteWrite(result.revision);
      this.heartbeats.delete(key);
      if (kv.lease !== '0') await this.store.revokeLease(kv.lease);
      await this.audit.record({
        actor,
        action: 'instance.deregister',
        namespace: ns,
        service: svc,
        target: id,
        detail: { revision: result.revision },
      });
      return;
    }
    throw new ConflictError(`instance "${id}" is being changed concurrently; try again`);
  }

  async patch(
    ns: string,
    svc: string,
    id: string,
    change: PatchInstanceInput,
    actor: string,
  ): Promise<Instance> {
    const key = instanceKey(ns, svc, id);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const kv = await this.store.get(key);
      const current = kv && decodeInstance(kv, this.heartbeats.get(key));
      if (!kv || !current) throw new NotFoundError(`instance "${id}" not found`);
      const { revision: _revision, healthy: _healthy, ...stored } = current;
      const next: StoredInstance = {
        ...stored,
        weight: change.weight ?? stored.weight,
        enabled: change.enabled ?? stored.enabled,
        metadata: change.metadata ?? stored.metadata,
      };
      let result;
      try {
        result = await this.store.compareAndPut(key, encodeInstance(next), kv.modRevision, kv.lease);
      } catch (error) {
        if (error instanceof LeaseNotFoundError) throw this.expired(id);
        throw error;
      }
      if (!result.succeeded) continue;
      this.cache.noteWrite(result.revision);
      await this.audit.record({
        actor,
        action: 'instance.patch',
        namespace: ns,
        service: svc,
        target: id,
        detail: { change, revision: result.revision },
      });
      return { ...next, healthy: true, revision: result.revision };
    }
    throw new ConflictError(`instance "${id}" is being changed concurrently; try again`);
  }

  /** The instances of a service as the cache shows them, sorted by id. */
  async list(ns: string, svc: string, healthyOnly = false): Promise<InstanceList> {
    await this.requireNamespace(ns);
    // Following the store, L1 is the whole truth: a service it does not hold has no instances.
    // Otherwise (warm start, store lost) a service L1 does not hold is looked up in L2.
    if (this.cache.state === 'synced' || this.cache.hasGroup(servicePrefix(ns, svc)) || !this.l2) {
      this.stats.l1Hits++;
      return { namespace: ns, service: svc, ...this.snapshot(ns, svc, healthyOnly) };
    }
    this.stats.l1Misses++;
    const copy = await this.l2.readGroup(servicePrefix(ns, svc));
    const instances: Instance[] = [];
    for (const kv of copy?.kvs ?? []) {
      const instance = this.decode(kv);
      if (instance && (!healthyOnly || (instance.healthy && instance.enabled))) instances.push(instance);
    }
    instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { namespace: ns, service: svc, revision: Math.max(copy?.revision ?? 0, 0), instances };
  }

  /**
   * `list` as the bytes of its JSON, for GET .../instances. An L1 hit outside degraded mode is
   * a kept answer (InstanceListAnswers: rebuilt only when the service's keys, heartbeat times or
   * the revision moved); L2 reads and degraded mode (where instances expire with the clock) are
   * computed by `list` and serialized.
   */
  async listSerialized(ns: string, svc: string, healthyOnly = false): Promise<SerializedInstanceList> {
    await this.requireNamespace(ns);
    // The same choice as list() makes, after the same wait for the cache.
    const fromL1 = this.cache.state === 'synced' || this.cache.hasGroup(servicePrefix(ns, svc)) || !this.l2;
    if (!fromL1 || this.degraded?.active) return serializeInstanceList(await this.list(ns, svc, healthyOnly));
    this.stats.l1Hits++;
    return this.answers.answer(ns, svc, healthyOnly);
  }

  /** Synchronous, so that a watch can pair it with the changes that follow it. */
  snapshot(ns: string, svc: string, healthyOnly = false): { revision: number; instances: Instance[] } {
    const instances: Instance[] = [];
    for (const kv of this.cache.list(servicePrefix(ns, svc))) {
      const instance = this.decode(kv);
      if (instance && (!healthyOnly || (instance.healthy && instance.enabled))) instances.push(instance);
    }
    instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { revision: this.cache.revision, instances };
  }

  /** Decodes an instance key's value with this node's view of its last heartbeat. */
  decode(kv: StoredKey): Instance | undefined {
    const instance = decodeInstance(kv, this.heartbeats.get(kv.key));
    if (instance && this.degraded?.isExpired(kv.key)) instance.healthy = false;
    return instance;
  }

  async services(ns: string): Promise<{ revision: number; services: ServiceSummary[] }> {
    await this.requireNamespace(ns);
    const byName = new Map<string, ServiceSummary>();
    const prefix = namespaceInstancesPrefix(ns);
    for (const group of this.cache.groupsUnder(prefix)) {
      const name = group.slice(prefix.length, -1);
      if (name.includes('/')) continue;
      const { instances } = this.snapshot(ns, name);
      byName.set(name, {
        name,
        instances: instances.length,
        healthy: instances.filter((i) => i.healthy && i.enabled).length,
      });
    }
    // A service with a policy and no instance is still a service.
    for (const group of this.cache.groupsUnder(`${GOVERNANCE_PREFIX}${ns}/`)) {
      const name = group.slice(`${GOVERNANCE_PREFIX}${ns}/`.length, -1);
      if (!byName.has(name) && this.cache.get(policyKey(ns, name))) {
        byName.set(name, { name, instances: 0, healthy: 0 });
      }
    }
    const services = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return { revision: this.cache.revision, services };
  }

  /** Number of instances in the cache, for metrics. */
  countInstances(): number {
    let n = 0;
    for (const group of this.cache.groupsUnder(REGISTRY_PREFIX)) n += this.cache.list(group).length;
    return n;
  }
}
