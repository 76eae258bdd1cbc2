export * from './errors';
export { prefixRangeEnd, keyInterval, type Bytes, type KeyInterval } from './bytes';
export * from './mvcc/types';
export { MvccStore, WriteTxn, type RawRange, type CommittedChange, type KeySpaceHash } from './mvcc/kv-store';
export { COMPACTION_BATCH_REVISIONS, COMPACTION_BATCH_PAUSE_MS } from './mvcc/compactor';
export { executeRange } from './kv/range';
export { validatePut, validateRange, validateDeleteRange, validateTxnRequest } from './kv/validate';
export { executeTxn, validateTxn, isTxnReadOnly, evaluateCompare, MAX_TXN_OPS } from './kv/txn';
export {
  Backend,
  BACKEND_BATCH_LIMIT,
  BackendBusyError,
  Bucket,
  BUCKETS,
  type BucketName,
  type BackendOptions,
} from './backend/backend';
export {
  Lessor,
  MAX_LEASE_TTL_SECONDS,
  DEFAULT_MIN_LEASE_TTL_SECONDS,
  EXPIRED_LEASE_RETRY_MS,
  LEASE_CHECKPOINT_INTERVAL_MS,
  type LeaseTimeToLive,
  type LeaseCheckpoint,
  type RangeDeleter,
} from './lease/lessor';
export { ManualClock, systemClock, type Clock } from './lease/clock';
export * from './watch/types';
export {
  WatchHub,
  WATCH_SYNC_BATCH_REVISIONS,
  WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
  type WatchHubOptions,
} from './watch/watch-hub';
export {
  WatchStream,
  WATCH_STREAM_BUFFER_RESPONSES,
  DEFAULT_WATCH_FRAGMENT_BYTES,
  ERR_WATCHER_DUPLICATE_ID,
} from './watch/watch-stream';
export { fragmentResponse } from './watch/fragment';
export * from './applier/request';
export * from './applier/applier';
export * from './quota/alarms';
export * from './quota/quota';
export { StoreEngine, type StoreEngineOptions } from './engine';
export {
  Wal,
  WalCorruptError,
  WAL_SEGMENT_BYTES,
  readWalMetadata,
  walExists,
  type WalOptions,
  type WalContents,
} from './wal/wal';
export type { WalSnapshotMark } from './wal/record';
export { FsyncMode, INLINE_FSYNC_SLOW_MS, POOLED_FSYNC_FAST_MS, type FsyncPlacement } from './wal/fsync-mode';
export { segmentFileName, parseSegmentName } from './wal/segment-name';
export { Snapshotter, MAX_SNAPSHOT_FILES } from './snapshot/snapshotter';
export { MemberLog, type MemberLogContents } from './wal/member-log';
