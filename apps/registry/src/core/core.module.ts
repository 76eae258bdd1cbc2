import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import {
  AuditLog,
  EtcdRegistryStore,
  InstanceRegistry,
  KeySpaceCache,
  STORE_STARTUP_TIMEOUT_MS,
  type AuditSink,
  type RegistryConfig,
  type RegistryStore,
} from '@skyroad/registry-core';
import { MetricsService } from '../metrics/metrics.service';
import { REGISTRY_CONFIG, REGISTRY_STORE } from '../tokens';
import { StoreLifecycle } from './store-lifecycle';

/** A failed audit insert is logged; the write it describes has already happened. */
function loggingAuditSink(audit: AuditLog): AuditSink {
  const logger = new Logger('Audit');
  return {
    record: async (entry) => {
      try {
        await audit.record(entry);
      } catch (error) {
        logger.error({ err: error, entry }, 'could not record an audit event');
      }
    },
  };
}

/** The store, the L1 cache over it and the instance registry: what every feature module uses. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: REGISTRY_CONFIG, useValue: config },
        {
          provide: REGISTRY_STORE,
          inject: [MetricsService],
          useFactory: (metrics: MetricsService): RegistryStore =>
            new EtcdRegistryStore(config.storeEndpoints, metrics.observeStoreCall),
        },
        {
          provide: KeySpaceCache,
          inject: [REGISTRY_STORE, MetricsService],
          useFactory: async (store: RegistryStore, metrics: MetricsService) => {
            const cache = new KeySpaceCache(store);
            await cache.start(STORE_STARTUP_TIMEOUT_MS);
            metrics.addCollectedGauge(
              'skyroad_registry_cache_revision',
              'Store revision the in-process cache reflects',
              () => cache.revision,
            );
            return cache;
          },
        },
        {
          provide: InstanceRegistry,
          inject: [REGISTRY_STORE, KeySpaceCache, AuditLog, MetricsService],
          useFactory: (
            store: RegistryStore,
            cache: KeySpaceCache,
            audit: AuditLog,
            metrics: MetricsService,
          ) => {
            const registry = new InstanceRegistry(store, cache, loggingAuditSink(audit));
            metrics.addCollectedGauge(
              'skyroad_registry_instances',
              'Registered instances (all namespaces)',
              () => registry.countInstances(),
            );
            return registry;
          },
        },
        StoreLifecycle,
      ],
      exports: [REGISTRY_CONFIG, REGISTRY_STORE, KeySpaceCache, InstanceRegistry],
    };
  }
}
