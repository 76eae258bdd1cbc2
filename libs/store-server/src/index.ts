export * from './config/flags';
export { StoreServer, GRPC_OVERHEAD_BYTES } from './server/store-server';
export { createLogger, type Logger } from './log/logger';
export { tuneHeapGrowth, MEMBER_HEAP_GROWING_PERCENT } from './runtime/heap-growth';
export { memberIdFor, clusterIdFor, hexId } from './cluster/ids';
export { runSnapshotCommand, SNAPSHOT_USAGE } from './backup/snapshot-command';
export {
  restoreSnapshot,
  snapshotStatus,
  readSnapshotFile,
  SnapshotFileError,
  type SnapshotStatus,
} from './backup/snapshot-file';
