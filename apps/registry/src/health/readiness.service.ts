import { Inject, Injectable } from '@nestjs/common';
import {
  DegradedMode,
  FailoverSwitch,
  FailoverStore,
  type FailoverStatus,
  type MirrorState,
  KeySpaceCache,
  type DegradedStatus,
  RedisL2Cache,
  type L2State,
  type RegistryConfig,
  type RegistryStore,
} from '@skyroad/registry-core';
import { DataSource } from 'typeorm';
import { FAILOVER_SWITCH, L2_CACHE, REGISTRY_CONFIG, REGISTRY_STORE } from '../tokens';

export interface Readiness {
  ready: boolean;
  /**
   * Where answers come from: the primary store, or (degraded) only this node's caches because
   * the store does not answer; discovery keeps working from L1/L2.
   */
  serving: 'primary' | 'standby' | 'degraded';
  store: { reachable: boolean; endpoints: readonly string[]; revision?: number; error?: string };
  standby: {
    configured: boolean;
    endpoints: string[];
    failover: 'off' | 'on';
    /** The mirror primary -> standby: this node's part, the primary revision reached, the lag. */
    mirror?: { state: MirrorState; checkpoint: number; lagRevisions: number };
    status?: FailoverStatus;
  };
  cache: {
    l1: { state: string; revision: number; keys: number; relists: number };
    l2: { configured: boolean; state: 'off' | L2State };
  };
  /** Degraded mode: where writes wait for the store, how many, what was expired. */
  degraded: DegradedStatus;
  database: { reachable: boolean; kind: 'sqlite' | 'postgres'; error?: string };
}

/** /ready answers within about this long even when the store hangs. */
const READY_STORE_PROBE_TIMEOUT_MS = 1_000;

/** Whether this node can serve: its store answers, its cache is in sync, its database answers. */
@Injectable()
export class ReadinessService {
  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(L2_CACHE) private readonly l2: RedisL2Cache | undefined,
    @Inject(DegradedMode) private readonly degradedMode: DegradedMode,
    @Inject(FAILOVER_SWITCH) private readonly failover: FailoverSwitch | undefined,
  ) {}

  async check(): Promise<Readiness> {
    const [store, database] = await Promise.all([this.checkStore(), this.checkDatabase()]);
    const standbyConfigured = this.config.standbyStoreEndpoints.length > 0;
    return {
      // Degraded still serves (discovery from cache, writes journaled): taking every node out
      // of rotation because the store is gone would turn a store outage into a registry outage.
      ready: database.reachable && this.cache.serving && (store.reachable || this.degradedMode.active),
      serving:
        this.degradedMode.active || !store.reachable
          ? 'degraded'
          : this.store instanceof FailoverStore
            ? this.store.role
            : 'primary',
      store,
      standby: {
        configured: standbyConfigured,
        endpoints: this.config.standbyStoreEndpoints,
        failover: this.failover ? 'on' : 'off',
        mirror: this.failover?.mirrorStatus(),
        status: this.failover?.status(),
      },
      cache: {
        l1: {
          state: this.cache.state,
          revision: this.cache.revision,
          keys: this.cache.size,
          relists: this.cache.relistCount,
        },
        l2: { configured: this.l2 !== undefined, state: this.l2?.state ?? 'off' },
      },
      degraded: this.degradedMode.status(),
      database,
    };
  }

  private async checkStore(): Promise<Readiness['store']> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${READY_STORE_PROBE_TIMEOUT_MS} ms`)),
        READY_STORE_PROBE_TIMEOUT_MS,
      );
    });
    try {
      return {
        reachable: true,
        endpoints: this.store.endpoints,
        revision: await Promise.race([this.store.currentRevision(), deadline]),
      };
    } catch (error) {
      return { reachable: false, endpoints: this.store.endpoints, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  private async checkDatabase(): Promise<Readiness['database']> {
    const kind = this.config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
    try {
      await this.dataSource.query('SELECT 1');
      return { reachable: true, kind };
    } catch (error) {
      return { reachable: false, kind, error: (error as Error).message };
    }
  }
}
