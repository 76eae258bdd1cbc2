import { status } from '@grpc/grpc-js';
import { isEngineError, type GrpcCode } from '@skyroad/store-engine';
import { EtcdError } from '../grpc/errors';

const CODES: Record<GrpcCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
};

/** Engine refusals carry etcd's message and gRPC code; anything else passes through. */
export function toEtcdError(error: unknown): unknown {
  if (isEngineError(error)) return new EtcdError(CODES[error.grpcCode], error.message);
  return error;
}

/** An error as it crosses the peer wire (a forwarded call) and back. */
export interface WireError {
  code: number;
  message: string;
}

export function errorToWire(error: unknown): WireError {
  const e = toEtcdError(error);
  if (e instanceof EtcdError) return { code: e.code, message: e.message };
  return { code: status.UNKNOWN, message: e instanceof Error ? e.message : String(e) };
}

export function errorFromWire(w: WireError): EtcdError {
  return new EtcdError(w.code, w.message);
}
