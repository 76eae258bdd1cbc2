import { randomUUID } from 'node:crypto';
import { ROOT_PREFIX } from '../keys';
import type { EtcdRegistryStore } from '../store/etcd-registry-store';
import type { KeyEvent, WatchHandle } from '../store/registry-store';

/** Keys of the mirror's own bookkeeping, per cluster: never copied. */
export const MIRROR_META_PREFIX = '/skyroad/meta/mirror/';
/** On the standby: the primary revision the standby holds everything up to. */
export const MIRROR_CHECKPOINT_KEY = `${MIRROR_META_PREFIX}checkpoint`;
/** On the primary: the registry node that mirrors, attached to its lease. */
export const MIRROR_LEADER_KEY = `${MIRROR_META_PREFIX}leader`;
/** The mirror leader's lease: another node takes over this long after the leader is gone. */
export const MIRROR_LEADER_TTL_SECONDS = 5;
/** How often the leader renews its lease, followers try to lead, and the lag is measured. */
export const MIRROR_TICK_MS = 1_000;

export type MirrorState = 'stopped' | 'follower' | 'syncing' | 'mirroring';

/** The failover's own bookkeeping on the primary: not copied either. */
const FAILOVER_META_PREFIX = '/skyroad/meta/failover/';

const mirrored = (key: string): boolean =>
  key.startsWith(ROOT_PREFIX) && !key.startsWith(MIRROR_META_PREFIX) && !key.startsWith(FAILOVER_META_PREFIX);

/**
 * Copies /skyroad/ from the primary to the standby continuously, as `etcdctl make-mirror` does:
 * a full sync (puts what differs, deletes what the primary does not have), then every change
 * from the primary's watch, in order, with the primary revision reached kept as a checkpoint on
 * the standby. One registry node at a time mirrors: the holder of a lease on the primary.
 */
export class StandbyMirror {
  readonly nodeId = randomUUID();
  private stateValue: MirrorState = 'stopped';
  private timer: NodeJS.Timeout | undefined;
  private lease: string | undefined;
  private watch: WatchHandle | undefined;
  private applying: Promise<void> = Promise.resolve();
  private checkpointValue = 0;
  private primaryRevision = 0;
  private ticking = false;
  private generation = 0;

  constructor(
    private readonly primary: EtcdRegistryStore,
    private readonly standby: EtcdRegistryStore,
  ) {}

  get state(): MirrorState {
    return this.stateValue;
  }

  /** The primary revision the standby holds everything up to (0 before the first sync). */
  get checkpoint(): number {
    return this.checkpointValue;
  }

  /** Primary revisions the standby is behind (0 when not mirroring from this node). */
  get lag(): number {
    return this.stateValue === 'mirroring' ? Math.max(0, this.primaryRevision - this.checkpointValue) : 0;
  }

  start(): void {
    if (this.timer) return;
    this.stateValue = 'follower';
    this.timer = setInterval(() => void this.tick(), MIRROR_TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.generation++;
    this.stateValue = 'stopped';
    const watch = this.watch;
    this.watch = undefined;
    await watch?.close().catch(() => undefined);
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await this.primary.revokeLease(lease).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.timer) return;
    this.ticking = true;
    const generation = this.generation;
    try {
      if (this.lease && (await this.primary.keepAliveOnce(this.lease)) === undefined) this.lease = undefined;
      if (!this.lease) await this.tryLead();
      if (generation !== this.generation) return;
      if (!this.lease) {
        await this.unfollow('follower');
        return;
      }
      this.primaryRevision = Math.max(this.primaryRevision, await this.primary.currentRevision());
      if (!this.watch) await this.sync(generation);
    } catch {
      // The primary or the standby does not answer: try again next tick, from a full sync.
      if (generation === this.generation) await this.unfollow('follower');
    } finally {
      this.ticking = false;
    }
  }

  private async unfollow(state: MirrorState): Promise<void> {
    this.generation++;
    this.stateValue = this.timer ? state : 'stopped';
    const watch = this.watch;
    this.watch = undefined;
    await watch?.close().catch(() => undefined);
  }

  private async tryLead(): Promise<void> {
    const lease = await this.primary.grantLease(MIRROR_LEADER_TTL_SECONDS);
    const result = await this.primary.compareAndPut(MIRROR_LEADER_KEY, this.nodeId, 0, lease);
    if (result.succeeded) this.lease = lease;
    else await this.primary.revokeLease(lease);
  }

  private async sync(generation: number): Promise<void> {
    this.stateValue = 'syncing';
    const [source, target] = await Promise.all([
      this.primary.getPrefix(ROOT_PREFIX),
      this.standby.getPrefix(ROOT_PREFIX),
    ]);
    const present = new Map(target.kvs.map((kv) => [kv.key, kv]));
    const wanted = new Set<string>();
    for (const kv of source.kvs) {
      if (!mirrored(kv.key)) continue;
      wanted.add(kv.key);
      const copy = present.get(kv.key);
      // A lease given on the standby during a failover is dropped: the primary's copy has none.
      if (copy?.value !== kv.value || copy.lease !== '0') await this.standby.put(kv.key, kv.value);
    }
    for (const kv of target.kvs)
      if (mirrored(kv.key) && !wanted.has(kv.key)) await this.standby.delete(kv.key);
    await this.setCheckpoint(source.revision);
    if (generation !== this.generation) return;
    this.primaryRevision = Math.max(this.primaryRevision, source.revision);
    this.watch = await this.primary.watchPrefix(ROOT_PREFIX, source.revision + 1, {
      onEvents: (events) => {
        if (generation !== this.generation) return;
        this.applying = this.applying.then(() => this.copy(events, generation));
      },
      onError: () => {
        if (generation === this.generation) void this.unfollow('follower');
      },
    });
    if (generation === this.generation) this.stateValue = 'mirroring';
  }

  private async copy(events: readonly KeyEvent[], generation: number): Promise<void> {
    try {
      for (const event of events) {
        this.primaryRevision = Math.max(this.primaryRevision, event.revision);
        if (!mirrored(event.key)) continue;
        if (event.type === 'PUT' && event.kv) await this.standby.put(event.key, event.kv.value);
        else await this.standby.delete(event.key);
      }
      if (events.length > 0) await this.setCheckpoint(events[events.length - 1].revision);
    } catch {
      // A change the standby did not take: start again from a full sync.
      if (generation === this.generation) await this.unfollow('follower');
    }
  }

  private async setCheckpoint(revision: number): Promise<void> {
    await this.standby.put(MIRROR_CHECKPOINT_KEY, String(revision));
    this.checkpointValue = revision;
  }
}
