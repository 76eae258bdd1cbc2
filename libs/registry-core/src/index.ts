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
