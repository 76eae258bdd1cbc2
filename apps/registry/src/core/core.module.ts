import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import {
  AuditLog,
  DegradedMode,
  EtcdRegistryStore,
  FailoverStore,
  FailoverSwitch,
  HeartbeatTimes,
  StandbyMirror,
  InstanceRegistry,
  KeySpaceCache,
  RedisL2Cache,
  STORE_STARTUP_TIMEOUT_MS,
  defaultL2KeyPrefix,
  type AuditSink,
  type RegistryConfig,
  type RegistryStore,
} from '@skyroad/registry-core';
import { MetricsService } from '../metrics/metrics.service';
import { FAILOVER_SWITCH, L2_CACHE, REGISTRY_CONFIG, REGISTRY_STORE } from '../tokens';
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

/** How long a starting node waits for Redis before it starts without its L2 copy. */
const L2_STARTUP_WAIT_MS = 2_000;

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
          useFactory: (metrics: MetricsService): RegistryStore => {
            const primary = new EtcdRegistryStore(config.storeEndpoints, metrics.observeStoreCall);
            if (config.standbyStoreEndpoints.length === 0) return primary;
            return new FailoverStore(
              primary,
              new EtcdRegistryStore(config.standbyStoreEndpoints, metrics.observeStoreCall),
            );
          },
        },
        {
          provide: FAILOVER_SWITCH,
          inject: [REGISTRY_STORE, MetricsService],
          useFactory: (store: RegistryStore, metrics: MetricsService): FailoverSwitch | undefined => {
            if (!(store instanceof FailoverStore)) return undefined;
            const logger = new Logger('Failover');
            const mirror = new StandbyMirror(store.primary, store.standby);
            const failover = new FailoverSwitch(store, mirror, config.failoverAfterMs, (role, detail) => {
              if (role === 'standby') logger.warn(detail, 'primary store lost: switched to the standby');
              else
                logger.log(
                  detail,
                  'primary store healthy again: changes copied back, switched to the primary',
                );
            });
            failover.start();
            metrics.addCollectedCounter(
              'skyroad_registry_failovers_total',
              'Switches from the primary store to the standby',
              () => failover.stats.failovers,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_failbacks_total',
              'Returns from the standby store to the primary',
              () => failover.stats.failbacks,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_failback_copied_keys_total',
              'Keys written to or deleted from the primary when returning to it',
              () => failover.stats.copiedBack,
            );
            metrics.addCollectedGauge(
              'skyroad_registry_mirror_lag_revisions',
              'Primary revisions the standby is behind (on the node that mirrors)',
              () => mirror.lag,
            );
            metrics.addCollectedGauge(
              'skyroad_registry_serving_standby',
              '1 while the registry uses the standby store',
              () => (store.role === 'standby' ? 1 : 0),
            );
            return failover;
          },
        },
        {
          provide: L2_CACHE,
          inject: [MetricsService],
          useFactory: (metrics: MetricsService): RedisL2Cache | undefined => {
            if (config.redisUrl === undefined) return undefined;
            const logger = new Logger('L2Cache');
            const prefix = config.redisKeyPrefix ?? defaultL2KeyPrefix(config.storeEndpoints);
            const l2 = new RedisL2Cache(
              config.redisUrl,
              prefix,
              (state, error) => {
                // One line per change of state, not one per skipped call.
                if (state === 'down')
                  logger.warn(
                    { err: error?.message },
                    'Redis (L2) unavailable: L2 is skipped until it is back',
                  );
                else if (state === 'up') logger.log('Redis (L2) connected');
              },
              config.redisCluster === true,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l2_hits_total',
              'Discovery reads answered from the Redis L2 copy',
              () => l2.stats.hits,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l2_misses_total',
              'Discovery reads L2 could not answer (no copy, or Redis down)',
              () => l2.stats.misses,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l2_errors_total',
              'Redis calls skipped because Redis did not answer',
              () => l2.stats.errors,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l2_writes_total',
              'Groups written to the Redis L2 copy',
              () => l2.stats.writes,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l2_stale_writes_refused_total',
              'L2 writes refused because Redis held a newer revision',
              () => l2.stats.staleWritesRefused,
            );
            return l2;
          },
        },
        {
          provide: KeySpaceCache,
          inject: [REGISTRY_STORE, L2_CACHE, MetricsService, FAILOVER_SWITCH],
          useFactory: async (
            store: RegistryStore,
            l2: RedisL2Cache | undefined,
            metrics: MetricsService,
            failover: FailoverSwitch | undefined,
          ) => {
            const cache = new KeySpaceCache(store);
            failover?.attachCache(cache);
            if (l2) {
              // Warm from the shared copy first, so this node answers before it reads the store.
              if (await l2.ready(L2_STARTUP_WAIT_MS)) {
                const copy = await l2.readAll();
                if (copy) cache.warm(copy.groups, copy.revision);
              }
              cache.setPublisher(l2);
            }
            try {
              await cache.start(cache.state === 'warm' ? 0 : STORE_STARTUP_TIMEOUT_MS);
            } catch (error) {
              if (cache.state !== 'warm') throw error;
              // Warm from L2: serve it and keep trying the store in the background.
              new Logger('KeySpaceCache').warn(
                { err: (error as Error).message },
                'store unreachable at start: serving the L2 copy while retrying',
              );
              void cache.start(Number.MAX_SAFE_INTEGER).catch(() => undefined);
            }
            metrics.addCollectedGauge(
              'skyroad_registry_cache_revision',
              'Store revision the in-process cache reflects',
              () => cache.revision,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_cache_relists_total',
              'Times the in-process cache re-listed after losing its watch (compaction, store switch)',
              () => cache.relistCount,
            );
            return cache;
          },
        },
        { provide: HeartbeatTimes, useValue: new HeartbeatTimes() },
        {
          provide: DegradedMode,
          inject: [REGISTRY_STORE, KeySpaceCache, HeartbeatTimes, L2_CACHE, MetricsService],
          useFactory: (
            store: RegistryStore,
            cache: KeySpaceCache,
            heartbeats: HeartbeatTimes,
            l2: RedisL2Cache | undefined,
            metrics: MetricsService,
          ) => {
            const logger = new Logger('DegradedMode');
            const degraded = new DegradedMode(
              store,
              cache,
              heartbeats,
              l2,
              config.failoverAfterMs,
              (active) => {
                if (active)
                  logger.warn(
                    { journal: l2 ? 'redis' : 'memory' },
                    'store lost: degraded mode (discovery from cache, writes journaled until the store is back)',
                  );
                else
                  logger.log(
                    { replayed: degraded.stats.replayedWrites },
                    'store back: journal replayed, degraded mode over',
                  );
              },
            );
            degraded.start();
            metrics.addCollectedCounter(
              'skyroad_registry_degraded_entered_total',
              'Times the registry lost its store and entered degraded mode',
              () => degraded.stats.entered,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_degraded_writes_total',
              'Registrations, heartbeats and deregistrations taken into the journal in degraded mode',
              () => degraded.stats.acceptedWrites,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_replayed_writes_total',
              'Journaled writes replayed to the store after degraded mode',
              () => degraded.stats.replayedWrites,
            );
            metrics.addCollectedGauge(
              'skyroad_registry_degraded',
              '1 while the registry serves in degraded mode (its store unreachable)',
              () => (degraded.active ? 1 : 0),
            );
            return degraded;
          },
        },
        {
          provide: InstanceRegistry,
          inject: [
            REGISTRY_STORE,
            KeySpaceCache,
            AuditLog,
            MetricsService,
            L2_CACHE,
            HeartbeatTimes,
            DegradedMode,
          ],
          useFactory: (
            store: RegistryStore,
            cache: KeySpaceCache,
            audit: AuditLog,
            metrics: MetricsService,
            l2: RedisL2Cache | undefined,
            heartbeats: HeartbeatTimes,
            degraded: DegradedMode,
          ) => {
            const registry = new InstanceRegistry(
              store,
              cache,
              loggingAuditSink(audit),
              undefined,
              heartbeats,
            );
            registry.setL2(l2);
            registry.setDegraded(degraded);
            metrics.addCollectedCounter(
              'skyroad_registry_l1_hits_total',
              'Discovery reads answered from the in-process cache',
              () => registry.stats.l1Hits,
            );
            metrics.addCollectedCounter(
              'skyroad_registry_l1_misses_total',
              'Discovery reads the in-process cache could not answer (sent to L2)',
              () => registry.stats.l1Misses,
            );
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
      exports: [
        REGISTRY_CONFIG,
        REGISTRY_STORE,
        L2_CACHE,
        FAILOVER_SWITCH,
        KeySpaceCache,
        InstanceRegistry,
        DegradedMode,
      ],
    };
  }
}
