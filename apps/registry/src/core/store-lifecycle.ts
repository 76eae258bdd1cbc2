import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InstanceRegistry, KeySpaceCache, type RegistryStore } from '@skyroad/registry-core';
import { REGISTRY_STORE } from '../tokens';

/** Closes the cache's watch and the store connection last, after HTTP has stopped. */
@Injectable()
export class StoreLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REGISTRY_STORE) private readonly store: RegistryStore,
    @Inject(KeySpaceCache) private readonly cache: KeySpaceCache,
    @Inject(InstanceRegistry) private readonly instances: InstanceRegistry,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.instances.close();
    await this.cache.stop();
    await this.store.close();
  }
}
