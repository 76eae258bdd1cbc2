import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  DegradedMode,
  FailoverSwitch,
  InstanceRegistry,
  KeySpaceCache,
  RedisL2Cache,
  type RegistryStore,
} from '@skyroad/registry-core';
import { FAILOVER_SWITCH, L2_CACHE, REGISTRY_STORE } from '../tokens';

/** Closes the cache's watch and the store connection last, after HTTP has stopped. */
@Injectable()
export class StoreLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(InstanceRegistry) private readonly instances: InstanceRegistry,
    @Inject(L2_CACHE) private readonly l2: RedisL2Cache | undefined,
    @Inject(DegradedMode) private readonly degraded: DegradedMode,
    @Inject(FAILOVER_SWITCH) private readonly failover: FailoverSwitch | undefined,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.degraded.stop();
    await this.failover?.stop();
    this.instances.close();
    await this.cache.stop();
    await this.l2?.close();
    await this.store.close();
  }
}
