export * from './limits';
export * from './keys';
export * from './errors';
export {
  parseRegistryConfig,
  USAGE,
  DEFAULT_CONFIG,
  type RegistryConfig,
  type ConfigResult,
} from './config/registry-config';
export * from './validation/names';
export * from './validation/instance-schemas';
export { zodReasons, parseOrThrow } from './validation/format';
export * from './store/registry-store';
export { EtcdRegistryStore } from './store/etcd-registry-store';
export { KeySpaceCache, type CacheState, type CacheListener } from './cache/key-space-cache';
export type { Instance, StoredInstance } from './instances/instance';
export {
  InstanceRegistry,
  type AuditSink,
  DEFAULT_NAMESPACE,
  defaultInstanceId,
  type HeartbeatResult,
  type ServiceSummary,
  type InstanceList,
} from './instances/instance-registry';
export type { PolicyRecord } from './policy/policy-record';
export { PolicyHistory, type PolicyVersion } from './policy/policy-history';
export { PolicyService } from './policy/policy-service';
export { WatchSession, type WatchMessage, type WatchSink } from './watch/watch-session';
export { AuditLog, type AuditEntry, type AuditRecord } from './persistence/audit-log';
export { AuditEventEntity, PolicyVersionEntity, REGISTRY_ENTITIES } from './persistence/entities';
export {
  dataSourceOptions,
  prepareDatabase,
  parseDatabaseUrl,
  REGISTRY_MIGRATIONS,
} from './persistence/database';
export { identityFromAuthorization, ANONYMOUS } from './auth/identity';
export {
  RedisL2Cache,
  defaultL2KeyPrefix,
  type L2State,
  type L2Stats,
  type L2Group,
} from './cache/redis-l2-cache';
export type { GroupSnapshot, CachePublisher } from './cache/key-space-cache';
export type { L2Reader, DiscoveryStats } from './instances/instance-registry';
export { HeartbeatTimes } from './instances/heartbeat-times';
export {
  InstanceListAnswers,
  serializeInstanceList,
  type SerializedInstanceList,
} from './discovery/instance-list-answers';
export { ifNoneMatchHits } from './discovery/etag';
export {
  DegradedMode,
  DEFAULT_FAILOVER_AFTER_MS,
  SELF_PRESERVATION_MAX_LAPSED_RATIO,
  STORE_PROBE_INTERVAL_MS,
  type DegradedStatus,
  type DegradedStats,
} from './availability/degraded-mode';
export { DegradedJournal, type JournalEntry, type JournalBackend } from './availability/journal';
export { FailoverStore, type StoreRole } from './availability/failover-store';
export {
  StandbyMirror,
  MIRROR_CHECKPOINT_KEY,
  MIRROR_LEADER_KEY,
  type MirrorState,
} from './availability/standby-mirror';
export {
  FailoverSwitch,
  FAILBACK_HEALTHY_FACTOR,
  type FailoverStats,
  type FailoverStatus,
} from './availability/failover-switch';
