import type * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../proto/load';
import type { LeanMethod } from '../server/lean-unary';
import { callerFromToken } from './call-context';
import { kvHandlers } from './kv-service';
import { leaseHandlers } from './lease-service';
import type { Caller, StoreApi } from './store-api';

type Body<Req> = (req: Req, caller: Caller) => Promise<unknown>;

/**
 * The unary calls clients make most (every put, get, delete, transaction, lease grant and
 * revoke), for the lean path: the very handlers and (de)serializers the gRPC services are
 * registered with, so both paths answer alike.
 */
export function leanMethods(api: StoreApi): Map<string, LeanMethod> {
  const kv = serviceDefinition('KV');
  const lease = serviceDefinition('Lease');
  const k = kvHandlers(api);
  const l = leaseHandlers(api);
  return new Map([
    leanMethod(api, kv.Range, k.Range),
    leanMethod(api, kv.Put, k.Put),
    leanMethod(api, kv.DeleteRange, k.DeleteRange),
    leanMethod(api, kv.Txn, k.Txn),
    leanMethod(api, lease.LeaseGrant, l.LeaseGrant),
    leanMethod(api, lease.LeaseRevoke, l.LeaseRevoke),
  ]);
}

/** As `unary` in call-context: the caller from the token first, then the handler. */
export function leanMethod<Req>(
  api: StoreApi,
  definition: grpc.MethodDefinition<Req, unknown>,
  body: Body<Req>,
) {
  const entry: LeanMethod = {
    deserialize: (bytes) => definition.requestDeserialize(bytes),
    serialize: (value) => definition.responseSerialize(value),
    run: (request, token) => body(request as Req, callerFromToken(api, token)),
  };
  return [definition.path, entry] as const;
}
