import type * as grpc from '@grpc/grpc-js';
import { Errors } from './errors';
import { open, unary } from './call-context';
import type { Caller, StoreApi } from './store-api';

/** Auth calls anyone may make; all others need the root role once auth is on. */
const OPEN_AUTH_CALLS = new Set(['Authenticate', 'AuthStatus']);

export const AUTH_CALLS = [
  'AuthEnable',
  'AuthDisable',
  'AuthStatus',
  'Authenticate',
  'UserAdd',
  'UserGet',
  'UserList',
  'UserDelete',
  'UserChangePassword',
  'UserGrantRole',
  'UserRevokeRole',
  'RoleAdd',
  'RoleGet',
  'RoleList',
  'RoleDelete',
  'RoleGrantPermission',
  'RoleRevokePermission',
] as const;

export function authHandler(api: StoreApi, name: string) {
  return async (req: Record<string, unknown>, caller: Caller) => {
    if (!OPEN_AUTH_CALLS.has(name) && !api.isAdmin(caller)) throw Errors.permissionDenied();
    const response = await api.authOp(name, req, caller);
    return { header: api.header(), ...response };
  };
}

export function authService(api: StoreApi): grpc.UntypedServiceImplementation {
  const service: grpc.UntypedServiceImplementation = {};
  for (const name of AUTH_CALLS) {
    const handler = authHandler(api, name);
    // A user signing in has no token yet, and a stale one must not stop them.
    service[name] = OPEN_AUTH_CALLS.has(name)
      ? open((req: Record<string, unknown>) => handler(req, {}))
      : unary(api, handler);
  }
  return service;
}
