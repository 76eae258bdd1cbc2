import type {
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Int64,
  Member,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
  WatchCreateRequest,
  WatchResponse,
} from '../wire/types';

/*
 * What the client-facing services need from a member: etcd's EtcdServer as seen from
 * api/v3rpc. The gRPC services and the JSON gateway translate the wire to these calls and
 * nothing else; the member (node/) implements them on top of Raft and the engine.
 */

/** Who is calling, from the auth token (undefined when auth is off or for the root user). */
export interface Caller {
  user?: string;
  /** The auth revision the token was issued at. */
  authRevision?: number;
}

export interface LeaseGrant {
  ID: Int64;
  TTL: Int64;
}

export interface LeaseTtl {
  ID: Int64;
  TTL: Int64;
  grantedTTL: Int64;
  keys: Buffer[];
}

export interface StatusInfo {
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: number;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  errors: string[];
  isLearner: boolean;
}

export interface Alarm {
  memberID: Int64;
  alarm: 'NONE' | 'NOSPACE' | 'CORRUPT';
}

/**
 * One client watch stream, at the wire level: the member multiplexes its watchers, applies
 * back-pressure, and hands out responses (headers filled) through `next()`.
 */
export interface WireWatchStream {
  /** Creates a watcher; its `created` response comes out of next(). Throws on a duplicate id. */
  create(req: WatchCreateRequest): void;
  cancel(watchId: number): boolean;
  /** A progress notification for the whole stream (watch id -1). */
  progress(): void;
  /** The next response; undefined once the stream is closed. */
  next(): Promise<WatchResponse | undefined>;
  close(): void;
}

export interface AuthView {
  enabled: boolean;
  revision: number;
}

export interface StoreApi {
  header(revision?: number): ResponseHeader;
  currentRevision(): number;

  range(req: RangeRequest, caller: Caller): Promise<RangeResponse>;
  put(req: PutRequest, caller: Caller): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, caller: Caller): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, caller: Caller): Promise<TxnResponse>;
  compact(req: CompactionRequest, caller: Caller): Promise<ResponseHeader>;

  openWatchStream(): WireWatchStream;

  /** Lease ids are int64: decimal strings here, never JS numbers. */
  leaseGrant(ttlSeconds: number, id: string, caller: Caller): Promise<LeaseGrant>;
  leaseRevoke(id: string, caller: Caller): Promise<void>;
  /** Renews on the leader (forwarded when this member is not); answers the TTL granted again. */
  leaseRenew(id: string): Promise<number>;
  leaseTimeToLive(id: string, withKeys: boolean): Promise<LeaseTtl>;
  leaseLeases(): Promise<string[]>;

  memberList(linearizable: boolean): Promise<Member[]>;
  memberAdd(peerUrls: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }>;
  memberRemove(id: number): Promise<Member[]>;
  memberUpdate(id: number, peerUrls: string[]): Promise<Member[]>;
  memberPromote(id: number): Promise<Member[]>;

  status(): Promise<StatusInfo>;
  alarms(
    action: 'GET' | 'ACTIVATE' | 'DEACTIVATE',
    memberId: number,
    alarm: Alarm['alarm'],
  ): Promise<Alarm[]>;
  defragment(): Promise<void>;
  hash(): Promise<number>;
  hashKV(revision: number): Promise<{ hash: number; compactRevision: number; hashRevision: number }>;
  /** A consistent copy of the backend database, as a file etcdctl can save. */
  snapshot(): Promise<{ revision: number; data: Buffer }>;
  moveLeader(targetId: number): Promise<void>;

  /** Auth management requests go through Raft; `op` is the Auth service method name. */
  authOp(op: string, req: Record<string, unknown>, caller: Caller): Promise<Record<string, unknown>>;
  authView(): AuthView;
  /** Checks a token; undefined when it is invalid or expired. */
  checkToken(token: string): Caller | undefined;
  /** Throws permissionDenied unless `caller` may read (or write) [key, rangeEnd). */
  checkPermission(caller: Caller, write: boolean, key: Buffer, rangeEnd: Buffer): void;
  isAdmin(caller: Caller): boolean;

  maxRequestBytes: number;
}
