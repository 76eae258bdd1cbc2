import type { Etcd3 } from 'etcd3';
import { requests } from '../history/requests';
import type { Compare, KeyOp, Request } from '../history/types';
import type { SeededRandom } from '../random';
import type { HistoryRecorder } from './recorder';

/*
 * Traffic of the kinds etcd's robustness suite sends. Keys fall in three groups so the
 * checker can partition: k/<n> (single-key ops, compare-and-set), t/<n> (multi-op
 * transactions over several keys), l/<client>-<n> (one key per lease, then revoked).
 * Every put writes a unique value, which is how watches identify writes.
 */

export const REQUEST_TIMEOUT_MS = 2_000;
const SINGLE_KEYS = 6;
const TXN_KEYS = 3;
const LEASE_TTL_S = 600;
const NO_CONNECTION_BACKOFF_MS = 100;

export interface TrafficOptions {
  prefix: string;
  clients: Etcd3[];
  recorder: HistoryRecorder;
  random: SeededRandom;
  client: number;
  deadlineMs: number;
  /** "Linearizable" reads sent as serializable to `staleMember` (the broken-client variant). */
  staleReadsTo?: number;
  /** Pause between requests, so 2 shared cores are not saturated. */
  thinkMs?: number;
}

type Kind = 'put' | 'get' | 'getSerializable' | 'delete' | 'casValue' | 'casMod' | 'txn' | 'list' | 'lease';

const MIX: Array<[Kind, number]> = [
  ['put', 25],
  ['get', 25],
  ['getSerializable', 6],
  ['delete', 6],
  ['casValue', 10],
  ['casMod', 8],
  ['txn', 10],
  ['list', 4],
  ['lease', 6],
];

function pickKind(random: SeededRandom): Kind {
  const total = MIX.reduce((s, [, w]) => s + w, 0);
  let x = random.next() * total;
  for (const [kind, w] of MIX) {
    if ((x -= w) < 0) return kind;
  }
  return 'get';
}

export async function runClient(o: TrafficOptions): Promise<void> {
  const { prefix, recorder, random, client } = o;
  let seq = 0;
  const value = (): string => `c${client}.${++seq}`;
  const lastSeen = new Map<string, { value: string; mod: number }>();
  let leaseSeq = 0;
  while (Date.now() < o.deadlineMs) {
    // The broken variant sends everything but its "linearizable" reads to the other members.
    const others = o.clients.map((_, i) => i).filter((i) => i !== o.staleReadsTo);
    const member = random.pick(others);
    const etcd = o.clients[member];
    const key = `${prefix}k/${random.int(0, SINGLE_KEYS - 1)}`;
    const kind = pickKind(random);
    const run = (request: Request, target = etcd) =>
      recorder.run(client, target, request, REQUEST_TIMEOUT_MS);
    if (kind === 'put') await run(requests.put(key, value()));
    else if (kind === 'delete') await run(requests.delete(key));
    else if (kind === 'get' || kind === 'getSerializable') {
      const stale = o.staleReadsTo !== undefined && kind === 'get';
      const op = await run(
        requests.get(key, kind === 'getSerializable' || stale),
        stale ? o.clients[o.staleReadsTo!] : etcd,
      );
      if (stale && op.request.kind === 'txn') delete op.request.serializable; // the broken client believes it was linearizable
      const r = op.response;
      if (r?.kind === 'txn' && r.results[0]?.type === 'get' && r.results[0].kv)
        lastSeen.set(key, { value: r.results[0].kv.value, mod: r.results[0].kv.modRevision });
    } else if (kind === 'casValue' || kind === 'casMod') {
      const seen = lastSeen.get(key);
      const compare: Compare =
        kind === 'casValue'
          ? { key, target: 'value', value: seen?.value ?? 'none' }
          : { key, target: 'mod', modRevision: seen?.mod ?? 0 };
      await run(requests.txn([compare], [{ type: 'put', key, value: value() }], [{ type: 'get', key }]));
    } else if (kind === 'txn') {
      const a = `${prefix}t/${random.int(0, TXN_KEYS - 1)}`;
      let b = `${prefix}t/${random.int(0, TXN_KEYS - 1)}`;
      if (b === a) b = `${prefix}t/${(Number(a.slice(-1)) + 1) % TXN_KEYS}`;
      const seen = lastSeen.get(a);
      const success: KeyOp[] = [
        { type: 'put', key: a, value: value() },
        random.chance(0.3) ? { type: 'delete', key: b } : { type: 'put', key: b, value: value() },
      ];
      const op = await run(
        requests.txn([{ key: a, target: 'mod', modRevision: seen?.mod ?? 0 }], success, [
          { type: 'get', key: a },
          { type: 'get', key: b },
        ]),
      );
      const r = op.response;
      if (r?.kind === 'txn') {
        if (r.succeeded) lastSeen.set(a, { value: '', mod: r.revision });
        else if (r.results[0]?.type === 'get') {
          const kv = r.results[0].kv;
          if (kv) lastSeen.set(a, { value: kv.value, mod: kv.modRevision });
          else lastSeen.delete(a);
        }
      }
    } else if (kind === 'list') {
      await run(requests.list(prefix, random.chance(0.5)));
    } else {
      const grant = await run(requests.leaseGrant(LEASE_TTL_S));
      if (grant.response?.kind === 'leaseGrant') {
        const lease = grant.response.lease;
        const leaseKey = `${prefix}l/${client}-${++leaseSeq}`;
        await run(requests.put(leaseKey, value(), lease), o.clients[random.int(0, o.clients.length - 1)]);
        if (random.chance(0.7)) {
          const revoke = await run(
            requests.leaseRevoke(lease),
            o.clients[random.int(0, o.clients.length - 1)],
          );
          // Attaching a revoked lease must be refused ("requested lease not found").
          if (revoke.outcome === 'ok' && random.chance(0.3))
            await run(requests.put(leaseKey, value(), lease));
        }
      }
    }
    const last = recorder.operations[recorder.operations.length - 1];
    // A member that is down refuses at once; do not spin on it.
    const pause = last?.error?.includes('No connection established')
      ? NO_CONNECTION_BACKOFF_MS
      : (o.thinkMs ?? 0);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
}
