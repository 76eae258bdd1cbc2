/*
 * The errors the engine raises, with the exact strings etcd uses: clients match on them
 * (etcd's rpctypes map each to a gRPC status with a message starting "etcdserver: ").
 * `message` is the gRPC message a client sees; `grpcCode` is the status code etcd sends.
 */

export type GrpcCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** The mvcc package's own wording (a watch cancelled for compaction carries it as its reason). */
export const MVCC_ERR_COMPACTED = 'mvcc: required revision has been compacted';
export const ERR_COMPACTED = `etcdserver: ${MVCC_ERR_COMPACTED}`;
export const ERR_FUTURE_REV = 'etcdserver: mvcc: required revision is a future revision';
export const ERR_KEY_NOT_FOUND = 'etcdserver: key not found';
export const ERR_EMPTY_KEY = 'etcdserver: key is not provided';
export const ERR_DUPLICATE_KEY = 'etcdserver: duplicate key given in txn request';
export const ERR_TOO_MANY_TXN_OPS = 'etcdserver: too many operations in txn request';
export const ERR_LEASE_NOT_FOUND = 'etcdserver: requested lease not found';
export const ERR_LEASE_EXIST = 'etcdserver: lease already exists';
export const ERR_LEASE_TTL_TOO_LARGE = 'etcdserver: too large lease TTL';
export const ERR_NOT_PRIMARY = 'etcdserver: not primary lessor';
export const ERR_NO_SPACE = 'etcdserver: mvcc: database space exceeded';
export const ERR_REQUEST_TOO_LARGE = 'etcdserver: request is too large';
export const ERR_VALUE_PROVIDED = 'etcdserver: value is provided';
export const ERR_LEASE_PROVIDED = 'etcdserver: lease is provided';
export const ERR_CORRUPT = 'etcdserver: corrupt cluster';
/** Not etcd's: an entry whose request cannot be decoded or has an unknown kind. */
export const ERR_BAD_REQUEST = 'etcdserver: malformed request';
/** Not etcd's: an `extension` request no handler was registered for. */
export const ERR_UNKNOWN_EXTENSION = 'etcdserver: unknown extension request';

const CODES: Record<string, GrpcCode> = {
  [ERR_COMPACTED]: 'OUT_OF_RANGE',
  [ERR_FUTURE_REV]: 'OUT_OF_RANGE',
  [ERR_KEY_NOT_FOUND]: 'INVALID_ARGUMENT',
  [ERR_EMPTY_KEY]: 'INVALID_ARGUMENT',
  [ERR_DUPLICATE_KEY]: 'INVALID_ARGUMENT',
  [ERR_TOO_MANY_TXN_OPS]: 'INVALID_ARGUMENT',
  [ERR_LEASE_NOT_FOUND]: 'NOT_FOUND',
  [ERR_LEASE_EXIST]: 'FAILED_PRECONDITION',
  [ERR_LEASE_TTL_TOO_LARGE]: 'OUT_OF_RANGE',
  [ERR_NOT_PRIMARY]: 'UNAVAILABLE',
  [ERR_NO_SPACE]: 'RESOURCE_EXHAUSTED',
  [ERR_REQUEST_TOO_LARGE]: 'INVALID_ARGUMENT',
  [ERR_VALUE_PROVIDED]: 'INVALID_ARGUMENT',
  [ERR_LEASE_PROVIDED]: 'INVALID_ARGUMENT',
  [ERR_CORRUPT]: 'INTERNAL',
};

/** An error a client may see. Deterministic: every member raises the same one for an entry. */
export class EngineError extends Error {
  readonly grpcCode: GrpcCode;

  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
    this.grpcCode = CODES[message] ?? 'INTERNAL';
  }
}

export function isEngineError(error: unknown, message?: string): error is EngineError {
  return error instanceof EngineError && (message === undefined || error.message === message);
}
