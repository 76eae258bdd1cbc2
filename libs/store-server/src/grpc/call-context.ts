import * as grpc from '@grpc/grpc-js';
import { EtcdError, Errors } from './errors';
import type { Caller, StoreApi } from './store-api';

/** etcd clients send the auth token in this metadata key (clientv3 and the etcd3 npm client). */
export const TOKEN_METADATA_KEY = 'token';

/**
 * The caller of a request, from its token. With auth off every caller is anonymous and
 * allowed; with auth on a missing token means an empty user name and a bad one is refused.
 */
export function callerFromToken(api: StoreApi, token: string | undefined): Caller {
  if (!api.authView().enabled) return {};
  if (!token) throw Errors.userEmpty();
  const caller = api.checkToken(token);
  if (!caller) throw Errors.invalidAuthToken();
  return caller;
}

export function callerOf(api: StoreApi, metadata: grpc.Metadata): Caller {
  const token = metadata.get(TOKEN_METADATA_KEY)[0];
  return callerFromToken(api, typeof token === 'string' ? token : token?.toString('utf8'));
}

export function toServiceError(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof EtcdError) return { code: error.code, details: error.message };
  return { code: grpc.status.UNKNOWN, details: error instanceof Error ? error.message : String(error) };
}

type UnaryBody<Req, Res> = (req: Req, caller: Caller) => Promise<Res>;

/** A unary gRPC handler: resolve the caller, run `body`, map errors to etcd's statuses. */
export function unary<Req, Res>(api: StoreApi, body: UnaryBody<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let caller: Caller;
    try {
      caller = callerOf(api, call.metadata);
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    body(call.request, caller).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

/** Like `unary` but for calls that work without a token (Authenticate, Status, MemberList...). */
export function open<Req, Res>(body: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    body(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

/** Ends a server stream with etcd's status for `error` (grpc-js sends an emitted error as the status). */
export function failStream(call: { emit(event: 'error', error: unknown): boolean }, error: unknown): void {
  const status = toServiceError(error);
  call.emit('error', Object.assign(new Error(status.details), status));
}
