import type * as grpc from '@grpc/grpc-js';
import { Errors, isEtcdError } from './errors';
import { callerOf, failStream, unary } from './call-context';
import type { Caller, StoreApi } from './store-api';
import type { Int64 } from '../wire/types';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;

export function leaseHandlers(api: StoreApi) {
  return {
    LeaseGrant: async (req: { TTL: Int64; ID: Int64 }, caller: Caller) => {
      const ttl = Number(req.TTL);
      if (ttl > MAX_LEASE_TTL_SECONDS) throw Errors.leaseTTLTooLarge();
      const granted = await api.leaseGrant(ttl, String(req.ID), caller);
      return { header: api.header(), ID: granted.ID, TTL: granted.TTL, error: '' };
    },
    LeaseRevoke: async (req: { ID: Int64 }, caller: Caller) => {
      await api.leaseRevoke(String(req.ID), caller);
      return { header: api.header() };
    },
    LeaseTimeToLive: async (req: { ID: Int64; keys: boolean }) => {
      try {
        const ttl = await api.leaseTimeToLive(String(req.ID), req.keys);
        return { header: api.header(), ...ttl };
      } catch (error) {
        // etcd answers an unknown lease with TTL -1 here, not with an error.
        if (isEtcdError(error) && error.message === Errors.leaseNotFound().message) {
          return { header: api.header(), ID: req.ID, TTL: -1, grantedTTL: 0, keys: [] };
        }
        throw error;
      }
    },
    LeaseLeases: async () => ({
      header: api.header(),
      leases: (await api.leaseLeases()).map((ID) => ({ ID })),
    }),
    /** One keep-alive: the new TTL, or 0 when the lease is unknown (how clients learn it expired). */
    keepAliveOnce: async (id: string) => {
      try {
        const ttl = await api.leaseRenew(id);
        return { header: api.header(), ID: id, TTL: ttl };
      } catch (error) {
        if (isEtcdError(error) && error.message === Errors.leaseNotFound().message) {
          return { header: api.header(), ID: id, TTL: 0 };
        }
        throw error;
      }
    },
  };
}

export function leaseService(api: StoreApi): grpc.UntypedServiceImplementation {
  const h = leaseHandlers(api);
  const LeaseKeepAlive: grpc.handleBidiStreamingCall<{ ID: Int64 }, unknown> = (call) => {
    try {
      callerOf(api, call.metadata);
    } catch (error) {
      failStream(call, error);
      return;
    }
    let closed = false;
    call.on('data', (req: { ID: Int64 }) => {
      h.keepAliveOnce(String(req.ID)).then(
        (response) => {
          if (!closed) call.write(response);
        },
        (error: unknown) => {
          if (closed) return;
          closed = true;
          failStream(call, error);
        },
      );
    });
    const close = () => {
      if (closed) return;
      closed = true;
      call.end();
    };
    call.on('end', close);
    call.on('error', () => (closed = true));
    call.on('cancelled', () => (closed = true));
  };
  return {
    LeaseGrant: unary(api, h.LeaseGrant),
    LeaseRevoke: unary(api, h.LeaseRevoke),
    LeaseTimeToLive: unary(api, h.LeaseTimeToLive),
    LeaseLeases: unary(api, h.LeaseLeases),
    LeaseKeepAlive,
  };
}
