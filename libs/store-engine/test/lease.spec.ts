import {
  ERR_LEASE_EXIST,
  ERR_LEASE_NOT_FOUND,
  ERR_LEASE_TTL_TOO_LARGE,
  ERR_NOT_PRIMARY,
  EventType,
  EXPIRED_LEASE_RETRY_MS,
  MAX_LEASE_TTL_SECONDS,
} from '../src';
import { b, prng, str, TestEngine } from './support/engine';

describe('Lessor', () => {
  let t: TestEngine;
  beforeEach(() => {
    t = TestEngine.create({ minLeaseTtlSeconds: 5 });
  });
  afterEach(async () => {
    await t.destroy();
  });

  const grant = (id: bigint, ttl: number) => t.apply({ kind: 'leaseGrant', leaseGrant: { id, ttl } });

  it('grants with a minimum TTL and refuses duplicates, id 0 and too large TTLs', () => {
    const res = grant(7n, 1).response;
    expect(res?.kind === 'leaseGrant' && res.leaseGrant.ttl).toBe(5);
    expect(grant(7n, 10).error?.message).toBe(ERR_LEASE_EXIST);
    expect(grant(0n, 10).error?.message).toBe(ERR_LEASE_NOT_FOUND);
    expect(grant(8n, MAX_LEASE_TTL_SECONDS + 1).error?.message).toBe(ERR_LEASE_TTL_TOO_LARGE);
    const big = 0x7fff_ffff_ffff_fff0n; // beyond 2^53: lease ids are int64
    grant(big, 10);
    expect(t.engine.lessor.leases()).toEqual([7n, big]);
    const generated = t.engine.lessor.generateId();
    expect(generated > 0n && !t.engine.lessor.exists(generated)).toBe(true);
  });

  it('revokes a lease by deleting its keys in one revision', () => {
    grant(1n, 10);
    t.ok({ kind: 'put', put: { key: b('k1'), value: b('v'), lease: 1n } });
    t.ok({ kind: 'put', put: { key: b('k2'), value: b('v'), lease: 1n } });
    t.ok({ kind: 'put', put: { key: b('k3'), value: b('v'), lease: 1n } });
    t.ok({ kind: 'put', put: { key: b('k3'), value: b('v2') } }); // moved off the lease
    t.ok({ kind: 'put', put: { key: b('other'), value: b('v') } });
    expect(t.engine.lessor.timeToLive(1n, true).keys.map(str)).toEqual(['k1', 'k2']);
    const before = t.engine.store.currentRevision;
    t.ok({ kind: 'leaseRevoke', leaseRevoke: { id: 1n } });
    expect(t.engine.store.currentRevision).toBe(before + 1);
    const events = [...t.engine.store.eventsBetween(before + 1, before + 1)];
    expect(events.map((e) => [e.type, str(e.kv.key)])).toEqual([
      [EventType.DELETE, 'k1'],
      [EventType.DELETE, 'k2'],
    ]);
    expect(t.engine.range({ key: b('k3') }).kvs).toHaveLength(1);
    expect(t.apply({ kind: 'leaseRevoke', leaseRevoke: { id: 1n } }).error?.message).toBe(
      ERR_LEASE_NOT_FOUND,
    );
    expect(() => t.engine.lessor.timeToLive(1n)).toThrow(ERR_LEASE_NOT_FOUND);
  });

  it('detaches deleted and overwritten keys from their leases, with or without the previous kvs', () => {
    grant(1n, 10);
    grant(2n, 10);
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5'])
      t.ok({ kind: 'put', put: { key: b(k), value: b('v'), lease: 1n } });
    t.ok({ kind: 'deleteRange', deleteRange: { key: b('k1') } });
    const res = t.ok({ kind: 'deleteRange', deleteRange: { key: b('k2'), rangeEnd: b('k4'), prevKv: true } });
    expect(
      res.kind === 'deleteRange' &&
        res.deleteRange.prevKvs.map((kv) => [str(kv.key), str(kv.value), kv.lease]),
    ).toEqual([
      ['k2', 'v', 1n],
      ['k3', 'v', 1n],
    ]);
    // Overwrites move a key to another lease, or off leases, without reading the old value.
    t.ok({ kind: 'put', put: { key: b('k4'), value: b('w'), lease: 2n } });
    t.ok({ kind: 'put', put: { key: b('k5'), value: b('w') } });
    expect(t.engine.lessor.timeToLive(1n, true).keys.map(str)).toEqual([]);
    expect(t.engine.lessor.timeToLive(2n, true).keys.map(str)).toEqual(['k4']);
    const before = t.engine.store.currentRevision;
    t.ok({ kind: 'leaseRevoke', leaseRevoke: { id: 2n } });
    expect(t.engine.range({ key: b('k'), rangeEnd: b('l') }).kvs.map((kv) => str(kv.key))).toEqual(['k5']);
    expect(t.engine.store.currentRevision).toBe(before + 1);
  });

  it('expires leases only on the primary, as revoke requests, retried after a while', () => {
    grant(1n, 10);
    t.clock.advance(60_000);
    expect(t.engine.lessor.findExpired()).toEqual([]); // not the primary: never expires
    t.engine.lessor.promote(0);
    t.clock.advance(9_000);
    expect(t.engine.lessor.findExpired()).toEqual([]);
    t.clock.advance(1_000);
    expect(t.engine.lessor.findExpired()).toEqual([1n]);
    expect(t.engine.lessor.findExpired()).toEqual([]); // asked already
    t.clock.advance(EXPIRED_LEASE_RETRY_MS);
    expect(t.engine.lessor.findExpired()).toEqual([1n]);
    // Nothing is deleted until the revoke is applied through the log.
    expect(t.engine.lessor.exists(1n)).toBe(true);
  });

  it('renews on the primary only, and a renewed lease lives a full TTL from then', () => {
    grant(1n, 10);
    expect(() => t.engine.lessor.renew(1n)).toThrow(ERR_NOT_PRIMARY);
    t.engine.lessor.promote(0);
    t.clock.advance(8_000);
    expect(t.engine.lessor.renew(1n)).toBe(10);
    t.clock.advance(8_000);
    expect(t.engine.lessor.findExpired()).toEqual([]);
    expect(t.engine.lessor.timeToLive(1n).ttl).toBe(2);
    t.clock.advance(2_000);
    expect(() => t.engine.lessor.renew(1n)).toThrow(ERR_LEASE_NOT_FOUND);
    expect(() => t.engine.lessor.renew(99n)).toThrow(ERR_LEASE_NOT_FOUND);
  });

  it('extends TTLs on promotion so a leader change does not expire leases early', () => {
    grant(1n, 10);
    t.engine.lessor.promote(0);
    t.clock.advance(9_000);
    t.engine.lessor.demote();
    t.clock.advance(30_000); // no leader for a while
    t.engine.lessor.promote(2_000);
    t.clock.advance(11_000);
    expect(t.engine.lessor.findExpired()).toEqual([]);
    t.clock.advance(1_000);
    expect(t.engine.lessor.findExpired()).toEqual([1n]);
  });

  it('checkpoints remaining TTLs through the log and uses them after a restart', async () => {
    grant(2n, 1000);
    t.engine.lessor.promote(0);
    t.clock.advance(60_000);
    expect(t.engine.lessor.dueCheckpoints()).toEqual([]); // not due before the 5 min interval
    t.clock.advance(240_000);
    const due = t.engine.lessor.dueCheckpoints();
    expect(due).toEqual([{ id: 2n, remainingTtl: 700 }]);
    t.ok({ kind: 'leaseCheckpoint', leaseCheckpoint: { checkpoints: due } });
    t.ok({ kind: 'put', put: { key: b('held'), value: b('v'), lease: 2n } });
    await t.reopen();
    expect(t.engine.lessor.timeToLive(2n, true)).toEqual({
      id: 2n,
      ttl: 700,
      grantedTtl: 1000,
      keys: [b('held')],
    });
    t.engine.lessor.promote(0);
    t.clock.advance(699_000);
    expect(t.engine.lessor.findExpired()).toEqual([]);
    // A renewal makes the checkpointed remaining TTL stale: it is cleared through the log at
    // once, and later renewals propose nothing more.
    expect(t.engine.lessor.dueCheckpoints()).toEqual([{ id: 2n, remainingTtl: 1 }]); // the periodic pass
    t.engine.lessor.renew(2n);
    const cleared = t.engine.lessor.dueCheckpoints();
    expect(cleared).toEqual([{ id: 2n, remainingTtl: 0 }]);
    t.ok({ kind: 'leaseCheckpoint', leaseCheckpoint: { checkpoints: cleared } });
    t.engine.lessor.renew(2n);
    expect(t.engine.lessor.dueCheckpoints()).toEqual([]);
    // A member promoted now counts the full TTL, not the stale 700 s.
    t.engine.lessor.demote();
    t.engine.lessor.promote(0);
    t.clock.advance(999_000);
    expect(t.engine.lessor.findExpired()).toEqual([]);
    t.clock.advance(1_000);
    expect(t.engine.lessor.findExpired()).toEqual([2n]);
  });

  it('restores leases and their keys from the backend', async () => {
    grant(5n, 30);
    t.ok({ kind: 'put', put: { key: b('a'), value: b('1'), lease: 5n } });
    await t.reopen();
    expect(t.engine.lessor.timeToLive(5n, true).keys.map(str)).toEqual(['a']);
    t.ok({ kind: 'leaseRevoke', leaseRevoke: { id: 5n } });
    expect(t.engine.range({ key: b('a') }).kvs).toEqual([]);
  });

  it("keeps every lease's keys equal to a model's under random puts, deletes, revokes and restarts", async () => {
    const rnd = prng(Number(process.env.SEED ?? 6061));
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const model = new Map<string, bigint>(); // live key -> its lease (0n: none)
    const live = new Set<bigint>();
    let nextId = 1n;
    for (let step = 0; step < 400; step++) {
      const roll = rnd.next();
      if (roll < 0.1 || live.size === 0) {
        grant(nextId, 60);
        live.add(nextId++);
      } else if (roll < 0.55) {
        const key = rnd.pick(keys);
        const lease = rnd.next() < 0.3 ? 0n : rnd.pick([...live]);
        t.ok({ kind: 'put', put: { key: b(key), value: b(`v${step}`), lease, prevKv: rnd.next() < 0.5 } });
        model.set(key, lease);
      } else if (roll < 0.8) {
        const [from, to] = [rnd.pick(keys), rnd.pick(keys)].sort();
        const rangeEnd = rnd.next() < 0.5 ? undefined : b(`${to}\0`);
        t.ok({ kind: 'deleteRange', deleteRange: { key: b(from), rangeEnd, prevKv: rnd.next() < 0.5 } });
        for (const key of [...model.keys()])
          if (key === from || (rangeEnd && key > from && key <= to)) model.delete(key);
      } else if (roll < 0.93) {
        const id = rnd.pick([...live]);
        t.ok({ kind: 'leaseRevoke', leaseRevoke: { id } });
        live.delete(id);
        for (const [key, lease] of [...model]) if (lease === id) model.delete(key);
      } else {
        await t.reopen();
      }
      const stored = t.engine
        .range({ key: b('a'), rangeEnd: b('z') })
        .kvs.map((kv) => [str(kv.key), kv.lease]);
      expect({ step, stored }).toEqual({ step, stored: [...model].sort() });
      for (const id of live) {
        const want = [...model].filter(([, lease]) => lease === id).map(([key]) => key);
        expect({ step, id, keys: t.engine.lessor.timeToLive(id, true).keys.map(str) }).toEqual({
          step,
          id,
          keys: want.sort(),
        });
      }
    }
  });

  it('reports exactly the expired leases among many renewed and revoked at random', () => {
    const rnd = prng(Number(process.env.SEED ?? 5150));
    const expiry = new Map<bigint, number>();
    const asked = new Map<bigint, number>();
    for (let id = 1n; id <= 200n; id++) grant(id, 5 + rnd.int(30));
    t.engine.lessor.promote(0);
    for (const id of t.engine.lessor.leases()) {
      expiry.set(id, t.clock.now() + t.engine.lessor.timeToLive(id).grantedTtl * 1000);
    }
    let reported = 0;
    for (let step = 0; step < 300; step++) {
      const roll = rnd.next();
      const ids = [...expiry.keys()];
      if (roll < 0.3 && ids.length > 0) {
        const id = rnd.pick(ids);
        if (expiry.get(id)! > t.clock.now()) {
          const ttl = t.engine.lessor.renew(id);
          expiry.set(id, t.clock.now() + ttl * 1000);
          asked.delete(id);
        }
      } else if (roll < 0.4 && ids.length > 0) {
        const id = rnd.pick(ids);
        t.ok({ kind: 'leaseRevoke', leaseRevoke: { id } });
        expiry.delete(id);
        asked.delete(id);
      } else if (roll < 0.7) {
        t.clock.advance(rnd.int(3_000));
      } else {
        const now = t.clock.now();
        const due = [...expiry]
          .filter(
            ([id, at]) => at <= now && (!asked.has(id) || now - asked.get(id)! >= EXPIRED_LEASE_RETRY_MS),
          )
          .sort((a, b) => a[1] - b[1])
          .map(([id]) => id);
        const got = t.engine.lessor.findExpired();
        expect(new Set(got)).toEqual(new Set(due));
        for (const id of got) asked.set(id, now);
        reported += got.length;
      }
    }
    expect(reported).toBeGreaterThan(20);
  });
});
