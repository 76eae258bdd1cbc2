export { freePort, freePorts } from './ports';
export { waitFor, tcpReachable, httpOk, type WaitOptions } from './wait';
export { ManagedProcess, type SpawnOptions, type ExitStatus } from './process/managed-process';
export { ProcessSet, useProcessSet } from './process/process-set';
export { registeredGroups } from './process/reaper';
export {
  startEtcdCluster,
  etcdMemberFlags,
  type EtcdMemberSpec,
  etcdctl,
  type EtcdCluster,
  type EtcdMember,
  type EtcdClusterOptions,
} from './services/etcd';
export { startRedis, redisPing, type RedisServer } from './services/redis';
export { PostgresTestSchema } from './services/postgres';
export { etcdBinary, etcdctlBinary, redisServerBinary, redisUrl, postgresUrl, chromiumPath } from './env';
export { startOtlpReceiver, type OtlpReceiver, type CollectedSpan } from './services/otlp-receiver';
