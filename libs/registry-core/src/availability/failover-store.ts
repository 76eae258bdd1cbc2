import type { EtcdRegistryStore } from '../store/etcd-registry-store';
import type {
  RangeResult,
  RegistryStore,
  StoredKey,
  WatchHandle,
  WatchListener,
  WriteResult,
} from '../store/registry-store';

export type StoreRole = 'primary' | 'standby';

/**
 * The store the registry uses when a standby cluster is configured: every call goes to the
 * active cluster (the primary, or the standby after a failover). A switch ends every open watch
 * with an error, so the cache re-lists from the new cluster while it keeps serving what it had;
 * writes wait while the switch is in progress (the failback's copy), so none lands in between.
 */
export class FailoverStore implements RegistryStore {
  private activeRole: StoreRole = 'primary';
  private epochValue = 0;
  private readonly watches = new Set<{ handle: WatchHandle; listener: WatchListener }>();
  private gate: Promise<void> | undefined;

  constructor(
    readonly primary: EtcdRegistryStore,
    readonly standby: EtcdRegistryStore,
  ) {}

  get role(): StoreRole {
    return this.activeRole;
  }

  get epoch(): number {
    return this.epochValue;
  }

  get endpoints(): readonly string[] {
    return this.active.endpoints;
  }

  get active(): EtcdRegistryStore {
    return this.activeRole === 'primary' ? this.primary : this.standby;
  }

  /** Holds writes until `work` is done (bounded by the caller), then switches to `role`. */
  async switchTo(role: StoreRole, work: () => Promise<void> = async () => undefined): Promise<void> {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.gate = gate;
    try {
      await work();
      this.activeRole = role;
      this.epochValue++;
      for (const watch of [...this.watches]) {
        this.watches.delete(watch);
        void watch.handle.close().catch(() => undefined);
        watch.listener.onError(new Error(`store switched to the ${role}`));
      }
    } finally {
      if (this.gate === gate) this.gate = undefined;
      open();
    }
  }

  private async writable(): Promise<EtcdRegistryStore> {
    if (this.gate) await this.gate;
    return this.active;
  }

  get(key: string): Promise<StoredKey | undefined> {
    return this.active.get(key);
  }

  getPrefix(prefix: string): Promise<RangeResult> {
    return this.active.getPrefix(prefix);
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    return (await this.writable()).grantLease(ttlSeconds);
  }

  keepAliveOnce(leaseId: string): Promise<number | undefined> {
    return this.active.keepAliveOnce(leaseId);
  }

  async revokeLease(leaseId: string): Promise<void> {
    return (await this.writable()).revokeLease(leaseId);
  }

  async compareAndPut(
    key: string,
    value: string,
    expectedModRevision: number,
    lease?: string,
  ): Promise<WriteResult> {
    return (await this.writable()).compareAndPut(key, value, expectedModRevision, lease);
  }

  async compareAndDelete(key: string, expectedModRevision: number): Promise<WriteResult> {
    return (await this.writable()).compareAndDelete(key, expectedModRevision);
  }

  async watchPrefix(prefix: string, fromRevision: number, listener: WatchListener): Promise<WatchHandle> {
    const epoch = this.epochValue;
    const handle = await this.active.watchPrefix(prefix, fromRevision, listener);
    const entry = { handle, listener };
    if (epoch !== this.epochValue) {
      // Switched while the watch was being created: it follows the wrong cluster.
      void handle.close().catch(() => undefined);
      listener.onError(new Error('store switched'));
    } else this.watches.add(entry);
    return {
      close: async () => {
        this.watches.delete(entry);
        await handle.close();
      },
    };
  }

  currentRevision(): Promise<number> {
    return this.active.currentRevision();
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.standby.close()]);
  }
}
