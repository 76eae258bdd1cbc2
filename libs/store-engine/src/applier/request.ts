/*
 * What the server proposes through Raft: this engine's version of etcd's InternalRaftRequest,
 * one kind per request, with an optional id the server uses to match the result to the
 * waiting caller. Encoded as JSON with byte strings in base64 and int64s as decimal strings,
 * so every member decodes exactly the same request. Plain puts, most of the log, are binary
 * (put-codec.ts); JSON entries written before stay readable.
 */
import type { AlarmRequest } from '../quota/alarms';
import type {
  CompactionRequest,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../mvcc/types';
import type { LeaseCheckpoint } from '../lease/lessor';
import { decodeBinaryPut, encodeBinaryPut, PUT_V1 } from './put-codec';

export interface LeaseGrantRequest {
  /** Chosen by the client, or by the server (Lessor.generateId) before proposing; never 0. */
  id: bigint;
  ttl: number;
}

export interface LeaseRevokeRequest {
  id: bigint;
}

export interface LeaseCheckpointRequest {
  checkpoints: LeaseCheckpoint[];
}

/** A record the engine stores but does not interpret (auth, membership): see Applier.registerExtension. */
export interface ExtensionRequest {
  name: string;
  payload: Uint8Array;
}

export type InternalRequest = { id?: string } & (
  | { kind: 'put'; put: PutRequest }
  | { kind: 'range'; range: RangeRequest }
  | { kind: 'deleteRange'; deleteRange: DeleteRangeRequest }
  | { kind: 'txn'; txn: TxnRequest }
  | { kind: 'compaction'; compaction: CompactionRequest }
  | { kind: 'leaseGrant'; leaseGrant: LeaseGrantRequest }
  | { kind: 'leaseRevoke'; leaseRevoke: LeaseRevokeRequest }
  | { kind: 'leaseCheckpoint'; leaseCheckpoint: LeaseCheckpointRequest }
  | { kind: 'alarm'; alarm: AlarmRequest }
  | { kind: 'extension'; extension: ExtensionRequest }
);

export type RequestKind = InternalRequest['kind'];

const BYTES_TAG = '$b';
const BIGINT_TAG = '$n';

export function encodeRequest(request: InternalRequest): Buffer {
  const binary = encodeBinaryPut(request);
  if (binary) return binary;
  const json = JSON.stringify(request, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array)
      return { [BYTES_TAG]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    if (typeof value === 'bigint') return { [BIGINT_TAG]: value.toString() };
    return value;
  });
  return Buffer.from(json, 'utf8');
}

export function decodeRequest(data: Uint8Array): InternalRequest {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes[0] === PUT_V1) return decodeBinaryPut(bytes);
  return JSON.parse(bytes.toString('utf8'), (_key, value) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (typeof value[BYTES_TAG] === 'string') return Buffer.from(value[BYTES_TAG], 'base64');
      if (typeof value[BIGINT_TAG] === 'string') return BigInt(value[BIGINT_TAG]);
    }
    return value;
  }) as InternalRequest;
}
