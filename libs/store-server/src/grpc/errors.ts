import { status } from '@grpc/grpc-js';

/*
 * The errors etcd clients recognise: the same gRPC status codes and the same messages
 * (clients compare the strings, e.g. clientv3's rpctypes and the etcd3 npm client's
 * error table), after etcd's api/v3rpc/rpctypes/error.go.
 */
export class EtcdError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

const e = (code: status, message: string) => () => new EtcdError(code, message);

export const Errors = {
  emptyKey: e(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  compacted: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: e(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: e(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExist: e(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: e(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  memberExist: e(status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  peerURLExist: e(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberNotEnoughStarted: e(
    status.FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ),
  memberBadURLs: e(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  memberNotFound: e(status.NOT_FOUND, 'etcdserver: member not found'),
  memberNotLearner: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: e(
    status.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ),
  requestTooLarge: e(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  noLeader: e(status.UNAVAILABLE, 'etcdserver: no leader'),
  notLeader: e(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  leaderChanged: e(status.UNAVAILABLE, 'etcdserver: leader changed'),
  notCapable: e(status.UNAVAILABLE, 'etcdserver: not capable'),
  stopped: e(status.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: e(status.UNAVAILABLE, 'etcdserver: request timed out'),
  timeoutDueToLeaderFail: e(
    status.UNAVAILABLE,
    'etcdserver: request timed out, possibly due to previous leader failure',
  ),
  unhealthy: e(status.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  notEnoughStartedMembers: e(
    status.FAILED_PRECONDITION,
    'etcdserver: re-configuration failed due to not enough started members',
  ),
  corrupt: e(status.DATA_LOSS, 'etcdserver: corrupt cluster'),
  timeoutLeaderTransfer: e(
    status.DEADLINE_EXCEEDED,
    'etcdserver: request timed out, leader transfer took too long',
  ),
  badLeaderTransferee: e(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  rootUserNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  rootRoleNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  userAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  userEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  userNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  roleAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  roleNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  roleEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  authFailed: e(status.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionNotGiven: e(status.INVALID_ARGUMENT, 'etcdserver: permission not given'),
  permissionDenied: e(status.PERMISSION_DENIED, 'etcdserver: permission denied'),
  roleNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  authNotEnabled: e(status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: e(status.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: e(status.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  authOldRevision: e(status.INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),
  noPasswordUser: e(
    status.INVALID_ARGUMENT,
    'etcdserver: authentication failed, password was given for no password user',
  ),
  watchCanceled: e(status.CANCELLED, 'etcdserver: watch canceled'),
};

/** etcd's watch cancel reason when a watch starts below the compacted revision. */
export const COMPACTED_CANCEL_REASON = 'mvcc: required revision has been compacted';

export function isEtcdError(error: unknown): error is EtcdError {
  return error instanceof EtcdError;
}
