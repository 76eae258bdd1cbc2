import { Etcd3, EtcdLeaseInvalidError, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { StoreUnavailableError } from '../errors';
import { STORE_CALL_TIMEOUT_MS } from '../limits';
import { LeaseKeeper } from './lease-keeper';
import {
  LeaseNotFoundError,
  type KeyEvent,
  type RangeResult,
  type RegistryStore,
  type StoreCallObserver,
  type StoredKey,
  type WatchHandle,
  type WatchListener,
  type WriteResult,
} from './registry-store';

function toStoredKey(kv: IKeyValue): StoredKey {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    lease: String(kv.lease),
  };
}

function isLeaseNotFound(error: unknown): boolean {
  return error instanceof EtcdLeaseInvalidError || /lease not found/i.test((error as Error)?.message ?? '');
}

/** The RegistryStore over the etcd v3 API (real etcd or skyroad-store), through the etcd3 client. */
export class EtcdRegistryStore implements RegistryStore {
  private readonly client: Etcd3;
  private readonly leases: LeaseKeeper;

  constructor(
    readonly endpoints: readonly string[],
    private readonly observe: StoreCallObserver = () => undefined,
  ) {
    this.client = new Etcd3({
      hosts: [...endpoints],
      // Unary calls get a deadline; watch and keep-alive streams live as long as they are used.
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: new Date(Date.now() + STORE_CALL_TIMEOUT_MS) },
    });
    this.leases = new LeaseKeeper(this.client, STORE_CALL_TIMEOUT_MS);
  }

  private async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } catch (error) {
      // What the client throws for these calls means the store did not answer; the answers the
      // registry understands (lease gone, compare failed) are results, not errors.
      if (error instanceof LeaseNotFoundError) throw error;
      throw new StoreUnavailableError(operation, error);
    } finally {
      this.observe(operation, Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
  }

  get(key: string): Promise<StoredKey | undefined> {
    return this.timed('get', async () => {
      const response = await this.client.kv.range({ key: Buffer.from(key) });
      return response.kvs.length > 0 ? toStoredKey(response.kvs[0]) : undefined;
    });
  }

  getPrefix(prefix: string): Promise<RangeResult> {
    return this.timed('range', async () => {
      const response = await this.client.getAll().prefix(prefix).exec();
      return { revision: Number(response.header.revision), kvs: response.kvs.map(toStoredKey) };
    });
  }

  grantLease(ttlSeconds: number): Promise<string> {
    return this.timed('lease_grant', async () =>
      String((await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds })).ID),
    );
  }

  keepAliveOnce(leaseId: string): Promise<number | undefined> {
    return this.timed('lease_keepalive', () => this.leases.keepAliveOnce(leaseId));
  }

  revokeLease(leaseId: string): Promise<void> {
    return this.timed('lease_revoke', async () => {
      try {
        await this.client.leaseClient.leaseRevoke({ ID: leaseId });
      } catch (error) {
        if (!isLeaseNotFound(error)) throw error;
      }
    });
  }

  compareAndPut(
    key: string,
    value: string,
    expectedModRevision: number,
    lease?: string,
  ): Promise<WriteResult> {
    return this.timed('txn_put', async () => {
      const put = this.client.put(key).value(value);
      if (lease !== undefined && lease !== '0') put.lease(lease);
      try {
        // The else branch reads the key in the same round trip, for the caller's retry.
        const response = await this.client
          .if(key, 'Mod', '==', expectedModRevision)
          .then(put)
          .else(this.client.get(key))
          .commit();
        const revision = Number(response.header.revision);
        if (response.succeeded) return { succeeded: true, revision };
        const found = response.responses[0]?.response_range?.kvs[0];
        return { succeeded: false, revision, current: found ? toStoredKey(found) : null };
      } catch (error) {
        if (lease !== undefined && isLeaseNotFound(error)) throw new LeaseNotFoundError(lease);
        throw error;
      }
    });
  }

  /** Puts without a condition (the mirror's copy); `lease` '0' or undefined attaches none. */
  put(key: string, value: string, lease?: string): Promise<number> {
    return this.timed('put', async () => {
      const put = this.client.put(key).value(value);
      if (lease !== undefined && lease !== '0') put.lease(lease);
      return Number((await put.exec()).header.revision);
    });
  }

  /** Deletes without a condition (the mirror's copy). */
  delete(key: string): Promise<number> {
    return this.timed('delete', async () =>
      Number((await this.client.delete().key(key).exec()).header.revision),
    );
  }

  compareAndDelete(key: string, expectedModRevision: number): Promise<WriteResult> {
    return this.timed('txn_delete', async () => {
      const response = await this.client
        .if(key, 'Mod', '==', expectedModRevision)
        .then(this.client.delete().key(key))
        .commit();
      return { succeeded: response.succeeded, revision: Number(response.header.revision) };
    });
  }

  async watchPrefix(prefix: string, fromRevision: number, listener: WatchListener): Promise<WatchHandle> {
    const watcher: Watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(fromRevision))
      .withPreviousKV()
      .create();
    watcher.on('data', (response: IWatchResponse) => {
      if (response.events.length === 0) return;
      const events: KeyEvent[] = response.events.map((event) => {
        const kv = toStoredKey(event.kv);
        const prev = event.prev_kv ? toStoredKey(event.prev_kv) : undefined;
        return event.type === 'Put'
          ? { type: 'PUT', key: kv.key, revision: kv.modRevision, kv, prev }
          : { type: 'DELETE', key: kv.key, revision: kv.modRevision, prev };
      });
      listener.onEvents(events);
    });
    watcher.on('error', (error: Error) => listener.onError(error));
    return { close: () => watcher.cancel() };
  }

  currentRevision(): Promise<number> {
    return this.timed('status', async () => {
      const response = await this.client.kv.range({
        key: Buffer.from('/skyroad/meta/ping'),
        count_only: true,
      });
      return Number(response.header.revision);
    });
  }

  async close(): Promise<void> {
    this.leases.close();
    this.client.close();
  }
}

// Re-exported so callers can recognise the error without depending on etcd3.
export { LeaseNotFoundError };
