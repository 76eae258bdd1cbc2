import { AUTH_CALLS, authHandler } from '../grpc/auth-service';
import { clusterHandlers } from '../grpc/cluster-service';
import { kvHandlers } from '../grpc/kv-service';
import { leaseHandlers } from '../grpc/lease-service';
import { maintenanceHandlers } from '../grpc/maintenance-service';
import type { Caller, StoreApi } from '../grpc/store-api';

export interface UnaryRoute {
  request: string;
  response: string;
  /** Calls that need no token (signing in, status). */
  open?: boolean;
  call(req: never, caller: Caller): Promise<unknown>;
}

const AUTH_PATHS: Record<(typeof AUTH_CALLS)[number], [string, string]> = {
  AuthEnable: ['enable', 'AuthEnable'],
  AuthDisable: ['disable', 'AuthDisable'],
  AuthStatus: ['status', 'AuthStatus'],
  Authenticate: ['authenticate', 'Authenticate'],
  UserAdd: ['user/add', 'AuthUserAdd'],
  UserGet: ['user/get', 'AuthUserGet'],
  UserList: ['user/list', 'AuthUserList'],
  UserDelete: ['user/delete', 'AuthUserDelete'],
  UserChangePassword: ['user/changepw', 'AuthUserChangePassword'],
  UserGrantRole: ['user/grant', 'AuthUserGrantRole'],
  UserRevokeRole: ['user/revoke', 'AuthUserRevokeRole'],
  RoleAdd: ['role/add', 'AuthRoleAdd'],
  RoleGet: ['role/get', 'AuthRoleGet'],
  RoleList: ['role/list', 'AuthRoleList'],
  RoleDelete: ['role/delete', 'AuthRoleDelete'],
  RoleGrantPermission: ['role/grant', 'AuthRoleGrantPermission'],
  RoleRevokePermission: ['role/revoke', 'AuthRoleRevokePermission'],
};

/** etcd's grpc-gateway paths for the unary calls (POST, JSON body). */
export function unaryRoutes(api: StoreApi): Map<string, UnaryRoute> {
  const kv = kvHandlers(api);
  const lease = leaseHandlers(api);
  const cluster = clusterHandlers(api);
  const maint = maintenanceHandlers(api);
  const p = 'etcdserverpb.';
  const r = (name: string, call: UnaryRoute['call'], open = false, req = `${name}Request`) => ({
    request: p + req,
    response: p + `${name}Response`,
    call,
    open,
  });
  const routes = new Map<string, UnaryRoute>([
    ['/v3/kv/range', r('Range', kv.Range as UnaryRoute['call'])],
    ['/v3/kv/put', r('Put', kv.Put as UnaryRoute['call'])],
    ['/v3/kv/deleterange', r('DeleteRange', kv.DeleteRange as UnaryRoute['call'])],
    ['/v3/kv/txn', r('Txn', kv.Txn as UnaryRoute['call'])],
    ['/v3/kv/compaction', r('Compaction', kv.Compact as UnaryRoute['call'])],
    ['/v3/lease/grant', r('LeaseGrant', lease.LeaseGrant as UnaryRoute['call'])],
    ['/v3/lease/revoke', r('LeaseRevoke', lease.LeaseRevoke as UnaryRoute['call'])],
    ['/v3/kv/lease/revoke', r('LeaseRevoke', lease.LeaseRevoke as UnaryRoute['call'])],
    ['/v3/lease/timetolive', r('LeaseTimeToLive', lease.LeaseTimeToLive as UnaryRoute['call'])],
    ['/v3/kv/lease/timetolive', r('LeaseTimeToLive', lease.LeaseTimeToLive as UnaryRoute['call'])],
    ['/v3/lease/leases', r('LeaseLeases', lease.LeaseLeases as UnaryRoute['call'])],
    ['/v3/kv/lease/leases', r('LeaseLeases', lease.LeaseLeases as UnaryRoute['call'])],
    ['/v3/cluster/member/add', r('MemberAdd', cluster.MemberAdd as UnaryRoute['call'])],
    ['/v3/cluster/member/remove', r('MemberRemove', cluster.MemberRemove as UnaryRoute['call'])],
    ['/v3/cluster/member/update', r('MemberUpdate', cluster.MemberUpdate as UnaryRoute['call'])],
    ['/v3/cluster/member/list', r('MemberList', cluster.MemberList as UnaryRoute['call'], true)],
    ['/v3/cluster/member/promote', r('MemberPromote', cluster.MemberPromote as UnaryRoute['call'])],
    ['/v3/maintenance/status', r('Status', maint.Status as UnaryRoute['call'], true)],
    ['/v3/maintenance/alarm', r('Alarm', maint.Alarm as UnaryRoute['call'])],
    ['/v3/maintenance/defragment', r('Defragment', maint.Defragment as UnaryRoute['call'])],
    ['/v3/maintenance/hash', r('Hash', maint.Hash as UnaryRoute['call'])],
    ['/v3/maintenance/hashkv', r('HashKV', maint.HashKV as UnaryRoute['call'])],
    ['/v3/maintenance/transfer-leadership', r('MoveLeader', maint.MoveLeader as UnaryRoute['call'])],
  ]);
  for (const call of AUTH_CALLS) {
    const [path, message] = AUTH_PATHS[call];
    const open = call === 'Authenticate' || call === 'AuthStatus';
    routes.set(`/v3/auth/${path}`, r(message, authHandler(api, call) as UnaryRoute['call'], open));
  }
  return routes;
}
