import { Inject, Injectable } from '@nestjs/common';
import { KeySpaceCache, type RegistryConfig, type RegistryStore } from '@skyroad/registry-core';
import { DataSource } from 'typeorm';
import { REGISTRY_CONFIG, REGISTRY_STORE } from '../tokens';

export interface Readiness {
  ready: boolean;
  serving: 'primary';
  store: { reachable: boolean; endpoints: readonly string[]; revision?: number; error?: string };
  standby: { configured: boolean; endpoints: string[]; failover: 'off' | 'not-implemented' };
  cache: {
    l1: { state: string; revision: number };
    l2: { configured: boolean; state: 'off' | 'not-implemented' };
  };
  database: { reachable: boolean; kind: 'sqlite' | 'postgres'; error?: string };
}

/** Whether this node can serve: its store answers, its cache is in sync, its database answers. */
@Injectable()
export class ReadinessService {
  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  async check(): Promise<Readiness> {
    const [store, database] = await Promise.all([this.checkStore(), this.checkDatabase()]);
    const standbyConfigured = this.config.standbyStoreEndpoints.length > 0;
    const redisConfigured = this.config.redisUrl !== undefined;
    return {
      ready: store.reachable && database.reachable && this.cache.state === 'synced',
      serving: 'primary',
      store,
      standby: {
        configured: standbyConfigured,
        endpoints: this.config.standbyStoreEndpoints,
        failover: standbyConfigured ? 'not-implemented' : 'off',
      },
      cache: {
        l1: { state: this.cache.state, revision: this.cache.revision },
        l2: { configured: redisConfigured, state: redisConfigured ? 'not-implemented' : 'off' },
      },
      database,
    };
  }

  private async checkStore(): Promise<Readiness['store']> {
    try {
      return {
        reachable: true,
        endpoints: this.store.endpoints,
        revision: await this.store.currentRevision(),
      };
    } catch (error) {
      return { reachable: false, endpoints: this.store.endpoints, error: (error as Error).message };
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
