import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { Errors } from './errors';
import { callerOf, failStream, open, unary } from './call-context';
import type { Alarm, Caller, StoreApi } from './store-api';
import type { Int64 } from '../wire/types';

/** The API version we report; etcd clients read it from Status and /version. */
export const ETCD_API_VERSION = '3.5.0';
/** Snapshot stream chunk size, as etcd's (32 KiB). */
export const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

export function maintenanceHandlers(api: StoreApi) {
  const admin = (caller: Caller) => {
    if (!api.isAdmin(caller)) throw Errors.permissionDenied();
  };
  return {
    Status: async () => {
      const s = await api.status();
      return {
        header: api.header(),
        version: s.version,
        dbSize: s.dbSize,
        leader: s.leader,
        raftIndex: s.raftIndex,
        raftTerm: s.raftTerm,
        raftAppliedIndex: s.raftAppliedIndex,
        errors: s.errors,
        dbSizeInUse: s.dbSizeInUse,
        isLearner: s.isLearner,
      };
    },
    Alarm: async (req: {
      action: 'GET' | 'ACTIVATE' | 'DEACTIVATE';
      memberID: Int64;
      alarm: Alarm['alarm'];
    }) => ({
      header: api.header(),
      alarms: await api.alarms(req.action, Number(req.memberID), req.alarm),
    }),
    Defragment: async (_req: unknown, caller: Caller) => {
      admin(caller);
      await api.defragment();
      return { header: api.header() };
    },
    Hash: async (_req: unknown, caller: Caller) => {
      admin(caller);
      return { header: api.header(), hash: await api.hash() };
    },
    HashKV: async (req: { revision: Int64 }, caller: Caller) => {
      admin(caller);
      const h = await api.hashKV(Number(req.revision));
      return {
        header: api.header(),
        hash: h.hash,
        compact_revision: h.compactRevision,
        hash_revision: h.hashRevision,
      };
    },
    MoveLeader: async (req: { targetID: Int64 }, caller: Caller) => {
      admin(caller);
      await api.moveLeader(Number(req.targetID));
      return { header: api.header() };
    },
  };
}

/** The snapshot followed by its SHA-256, as etcd streams it (clients verify the trailer). */
export async function snapshotWithChecksum(api: StoreApi): Promise<{ revision: number; data: Buffer }> {
  const { revision, data } = await api.snapshot();
  const sum = createHash('sha256').update(data).digest();
  return { revision, data: Buffer.concat([data, sum]) };
}

export function maintenanceService(api: StoreApi): grpc.UntypedServiceImplementation {
  const h = maintenanceHandlers(api);
  const Snapshot: grpc.handleServerStreamingCall<unknown, unknown> = (call) => {
    (async () => {
      const caller = callerOf(api, call.metadata);
      if (!api.isAdmin(caller)) throw Errors.permissionDenied();
      const { revision, data } = await snapshotWithChecksum(api);
      for (let offset = 0; offset < data.length; offset += SNAPSHOT_CHUNK_BYTES) {
        const blob = data.subarray(offset, offset + SNAPSHOT_CHUNK_BYTES);
        const remaining = data.length - offset - blob.length;
        const more = call.write({
          header: api.header(revision),
          remaining_bytes: remaining,
          blob,
          version: ETCD_API_VERSION,
        });
        if (!more) await new Promise((resolve) => call.once('drain', resolve));
        if (call.cancelled) return;
      }
      call.end();
    })().catch((error: unknown) => failStream(call, error));
  };
  return {
    Status: open(h.Status),
    Alarm: unary(api, h.Alarm),
    Defragment: unary(api, h.Defragment),
    Hash: unary(api, h.Hash),
    HashKV: unary(api, h.HashKV),
    MoveLeader: unary(api, h.MoveLeader),
    Snapshot,
  };
}
