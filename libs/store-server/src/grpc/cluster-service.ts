import type * as grpc from '@grpc/grpc-js';
import { Errors } from './errors';
import { unary } from './call-context';
import type { Caller, StoreApi } from './store-api';
import type { Int64 } from '../wire/types';

function checkPeerUrls(urls: string[]): void {
  if (urls.length === 0) throw Errors.memberBadURLs();
  for (const url of urls) {
    try {
      const parsed = new URL(url);
      if (!/^https?:$/.test(parsed.protocol) || !parsed.port) throw Errors.memberBadURLs();
    } catch {
      throw Errors.memberBadURLs();
    }
  }
}

export function clusterHandlers(api: StoreApi) {
  const admin = (caller: Caller) => {
    if (!api.isAdmin(caller)) throw Errors.permissionDenied();
  };
  return {
    MemberList: async (req: { linearizable: boolean }) => ({
      header: api.header(),
      members: await api.memberList(req.linearizable),
    }),
    MemberAdd: async (req: { peerURLs: string[]; isLearner: boolean }, caller: Caller) => {
      admin(caller);
      checkPeerUrls(req.peerURLs);
      const added = await api.memberAdd(req.peerURLs, req.isLearner);
      return { header: api.header(), ...added };
    },
    MemberRemove: async (req: { ID: Int64 }, caller: Caller) => {
      admin(caller);
      return { header: api.header(), members: await api.memberRemove(Number(req.ID)) };
    },
    MemberUpdate: async (req: { ID: Int64; peerURLs: string[] }, caller: Caller) => {
      admin(caller);
      checkPeerUrls(req.peerURLs);
      return { header: api.header(), members: await api.memberUpdate(Number(req.ID), req.peerURLs) };
    },
    MemberPromote: async (req: { ID: Int64 }, caller: Caller) => {
      admin(caller);
      return { header: api.header(), members: await api.memberPromote(Number(req.ID)) };
    },
  };
}

export function clusterService(api: StoreApi): grpc.UntypedServiceImplementation {
  const h = clusterHandlers(api);
  return {
    MemberList: unary(api, h.MemberList),
    MemberAdd: unary(api, h.MemberAdd),
    MemberRemove: unary(api, h.MemberRemove),
    MemberUpdate: unary(api, h.MemberUpdate),
    MemberPromote: unary(api, h.MemberPromote),
  };
}
