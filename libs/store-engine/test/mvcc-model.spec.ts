/*
 * Model-based test: random sequences of puts, deletes, txns, compactions, restarts and reads
 * against a reference model that keeps the whole key space at every revision. Every read
 * (and every txn's reads and compares) must agree with the model. SEED=<n> replays a run.
 */
import {
  CompareResult,
  CompareTarget,
  SortOrder,
  SortTarget,
  type Compare,
  type KeyValue,
  type RangeRequest,
  type RequestOp,
} from '../src';
import { prng, TestEngine } from './support/engine';

interface ModelKv {
  key: string; // latin1
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

const KEYS = ['\x00', 'a', 'ab', 'b', 'b/1', 'b/2', 'c', '\xff', '\xff\xff'].map((k) =>
  Buffer.from(k, 'latin1'),
);
const ERR = {
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  future: 'etcdserver: mvcc: required revision is a future revision',
};

class Model {
  history: Map<string, ModelKv>[] = [new Map()];
  compacted = 0;

  get rev(): number {
    return this.history.length - 1;
  }

  /** Runs ops against a working copy; commits a new revision if anything changed. */
  write(fn: (w: Map<string, ModelKv>, rev: number, mark: () => void) => void): void {
    const working = new Map(this.history[this.rev]);
    let changed = false;
    fn(working, this.rev + 1, () => (changed = true));
    if (changed) this.history.push(working);
  }

  static put(w: Map<string, ModelKv>, rev: number, key: string, value: string): void {
    const prev = w.get(key);
    w.set(key, {
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
    });
  }

  range(
    req: RangeRequest,
    state?: Map<string, ModelKv>,
    headerRev = this.rev,
  ): { kvs: ModelKv[]; count: number; more: boolean } | string {
    const requested = req.revision ?? 0;
    if (requested > headerRev) return ERR.future;
    const at = requested <= 0 ? headerRev : requested;
    if (at < this.compacted) return ERR.compacted;
    const source = requested <= 0 && state ? state : this.history[at];
    let kvs = [...source.values()]
      .filter((kv) => inInterval(kv.key, req.key, req.rangeEnd))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const count = kvs.length;
    if (req.countOnly) return { kvs: [], count, more: false };
    kvs = kvs.filter(
      (kv) =>
        (!req.minModRevision || kv.modRevision >= req.minModRevision) &&
        (!req.maxModRevision || kv.modRevision <= req.maxModRevision) &&
        (!req.minCreateRevision || kv.createRevision >= req.minCreateRevision) &&
        (!req.maxCreateRevision || kv.createRevision <= req.maxCreateRevision),
    );
    const target = req.sortTarget ?? SortTarget.KEY;
    let order = req.sortOrder ?? SortOrder.NONE;
    if (target !== SortTarget.KEY && order === SortOrder.NONE) order = SortOrder.ASCEND;
    if (order !== SortOrder.NONE) {
      const field = (kv: ModelKv): string | number =>
        [kv.key, kv.version, kv.createRevision, kv.modRevision, kv.value][target];
      const cmp = (x: ModelKv, y: ModelKv) => (field(x) < field(y) ? -1 : field(x) > field(y) ? 1 : 0);
      kvs = [...kvs].sort(order === SortOrder.ASCEND ? cmp : (x, y) => cmp(y, x));
    }
    let more = false;
    if (req.limit && kvs.length > req.limit) {
      kvs = kvs.slice(0, req.limit);
      more = true;
    }
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    return { kvs, count, more };
  }
}

function inInterval(key: string, start: Uint8Array, end?: Uint8Array): boolean {
  const s = Buffer.from(start).toString('latin1');
  if (!end || end.length === 0) return key === s;
  if (end.length === 1 && end[0] === 0) return key >= s;
  return key >= s && key < Buffer.from(end).toString('latin1');
}

const toModel = (kv: KeyValue): ModelKv => ({
  key: kv.key.toString('latin1'),
  value: kv.value.toString('latin1'),
  createRevision: kv.createRevision,
  modRevision: kv.modRevision,
  version: kv.version,
});

describe('MVCC against a reference model', () => {
  const seed = Number(process.env.SEED ?? 4242);
  const RUNS = 3;
  const engines: TestEngine[] = [];
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.destroy();
  });
  const STEPS = 300;

  for (let run = 0; run < RUNS; run++) {
    it(`agrees with the model (seed ${seed + run})`, async () => {
      const rnd = prng(seed + run);
      const t = TestEngine.create();
      engines.push(t);
      const model = new Model();
      const key = () => rnd.pick(KEYS);
      const interval = (): { key: Buffer; rangeEnd?: Buffer } => {
        const k = key();
        switch (rnd.int(3)) {
          case 0:
            return { key: k };
          case 1:
            return { key: k, rangeEnd: Buffer.from([0]) };
          default: {
            const e = key();
            return { key: k, rangeEnd: e.length === 1 && e[0] === 0 ? Buffer.from('b') : e };
          }
        }
      };
      const randomRange = (maxRev: number): RangeRequest => ({
        ...interval(),
        revision: rnd.next() < 0.5 ? 0 : rnd.int(maxRev + 3),
        limit: rnd.next() < 0.3 ? 1 + rnd.int(3) : 0,
        sortOrder: rnd.pick([SortOrder.NONE, SortOrder.ASCEND, SortOrder.DESCEND]),
        sortTarget: rnd.pick([
          SortTarget.KEY,
          SortTarget.VERSION,
          SortTarget.CREATE,
          SortTarget.MOD,
          SortTarget.VALUE,
        ]),
        keysOnly: rnd.next() < 0.2,
        countOnly: rnd.next() < 0.1,
        minModRevision: rnd.next() < 0.15 ? rnd.int(maxRev + 1) : 0,
        maxCreateRevision: rnd.next() < 0.15 ? rnd.int(maxRev + 1) : 0,
      });
      const ctx = (what: string) => `seed ${seed + run}: ${what}`;
      let reopens = 0;

      for (let step = 0; step < STEPS; step++) {
        const roll = rnd.next();
        if (roll < 0.3) {
          const k = key();
          const value = `v${step}`;
          const prevKv = rnd.next() < 0.5;
          const res = t.ok({ kind: 'put', put: { key: k, value: Buffer.from(value), prevKv } });
          const before = model.history[model.rev].get(k.toString('latin1'));
          model.write((w, rev, mark) => {
            Model.put(w, rev, k.toString('latin1'), value);
            mark();
          });
          const got = res.kind === 'put' ? res.put.prevKv : undefined;
          expect({ step, prevKv: got && toModel(got) }).toEqual({
            step,
            prevKv: prevKv ? before : undefined,
          });
        } else if (roll < 0.4) {
          const iv = interval();
          const prevKv = rnd.next() < 0.5;
          const res = t.ok({ kind: 'deleteRange', deleteRange: { ...iv, prevKv } });
          const victims: ModelKv[] = [];
          model.write((w, _rev, mark) => {
            for (const [k, kv] of [...w]) {
              if (inInterval(k, iv.key, iv.rangeEnd)) {
                w.delete(k);
                victims.push(kv);
                mark();
              }
            }
          });
          victims.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
          const got = res.kind === 'deleteRange' ? res.deleteRange : undefined;
          expect({ step, deleted: got?.deleted, prevKvs: got?.prevKvs.map(toModel) }).toEqual({
            step,
            deleted: victims.length,
            prevKvs: prevKv ? victims : [],
          });
        } else if (roll < 0.6) {
          // A txn: compares on random keys, branches with puts and deletes of distinct keys, and reads.
          const compare: Compare[] = Array.from({ length: 1 + rnd.int(2) }, () => {
            const target = rnd.pick([
              CompareTarget.VERSION,
              CompareTarget.CREATE,
              CompareTarget.MOD,
              CompareTarget.VALUE,
            ]);
            const n = rnd.int(model.rev + 2);
            return {
              ...interval(),
              target,
              result: rnd.pick([
                CompareResult.EQUAL,
                CompareResult.GREATER,
                CompareResult.LESS,
                CompareResult.NOT_EQUAL,
              ]),
              version: n % 4,
              createRevision: n,
              modRevision: n,
              value: Buffer.from(`v${rnd.int(step + 1)}`),
            };
          });
          const branch = (): RequestOp[] => {
            const used = new Set<string>();
            const ops: RequestOp[] = [];
            for (let i = 0; i < 1 + rnd.int(4); i++) {
              const k = key();
              const name = k.toString('latin1');
              const kind = rnd.int(3);
              if (kind === 2) ops.push({ requestRange: randomRange(model.rev) });
              else if (!used.has(name)) {
                used.add(name);
                ops.push(
                  kind === 0
                    ? { requestPut: { key: k, value: Buffer.from(`t${step}.${i}`) } }
                    : { requestDeleteRange: { key: k } },
                );
              }
            }
            return ops;
          };
          const success = branch();
          const failure = branch();
          const result = t.apply({ kind: 'txn', txn: { compare, success, failure } });
          // Model: compares on the state before, then the ops in order on one working copy.
          const before = model.history[model.rev];
          const holds = (c: Compare): boolean => {
            const kvs = [...before.values()].filter((kv) => inInterval(kv.key, c.key, c.rangeEnd));
            if (kvs.length === 0 && c.target === CompareTarget.VALUE) return false;
            const subjects = kvs.length
              ? kvs
              : [{ key: '', value: '', createRevision: 0, modRevision: 0, version: 0 }];
            return subjects.every((kv) => {
              const [a, x] =
                c.target === CompareTarget.VALUE
                  ? [kv.value, Buffer.from(c.value!).toString('latin1')]
                  : c.target === CompareTarget.VERSION
                    ? [kv.version, c.version!]
                    : c.target === CompareTarget.CREATE
                      ? [kv.createRevision, c.createRevision!]
                      : [kv.modRevision, c.modRevision!];
              const r = a < x ? -1 : a > x ? 1 : 0;
              return [r === 0, r > 0, r < 0, r !== 0][c.result];
            });
          };
          const succeeded = compare.every(holds);
          const ops = succeeded ? success : failure;
          // A range inside the txn with a past revision that is compacted or future refuses the txn.
          const refusal = ops
            .filter((op): op is { requestRange: RangeRequest } => 'requestRange' in op)
            .map((op) => model.range({ ...op.requestRange, revision: op.requestRange.revision }))
            .find((r): r is string => typeof r === 'string');
          if (refusal) {
            expect(ctx(result.error?.message ?? 'no error')).toBe(ctx(refusal));
            continue;
          }
          expect(ctx(result.error?.message ?? 'ok')).toBe(ctx('ok'));
          const reads: ReturnType<Model['range']>[] = [];
          model.write((w, rev, mark) => {
            let changed = false;
            for (const op of ops) {
              if ('requestPut' in op) {
                Model.put(
                  w,
                  rev,
                  Buffer.from(op.requestPut.key).toString('latin1'),
                  Buffer.from(op.requestPut.value!).toString('latin1'),
                );
                changed = true;
                mark();
              } else if ('requestDeleteRange' in op) {
                const name = Buffer.from(op.requestDeleteRange.key).toString('latin1');
                if (w.delete(name)) {
                  changed = true;
                  mark();
                }
              } else if ('requestRange' in op) {
                reads.push(model.range(op.requestRange, w, changed ? rev : rev - 1));
              }
            }
          });
          const res = result.response!;
          if (res.kind !== 'txn') throw new Error('not a txn response');
          expect(ctx(`succeeded ${res.txn.succeeded}`)).toBe(ctx(`succeeded ${succeeded}`));
          const got = res.txn.responses
            .filter((r): r is Extract<typeof r, { responseRange: unknown }> => 'responseRange' in r)
            .map((r) => ({
              kvs: r.responseRange.kvs.map(toModel),
              count: r.responseRange.count,
              more: r.responseRange.more,
            }));
          expect(got).toEqual(reads);
          expect(res.txn.header.revision).toBe(model.rev);
        } else if (roll < 0.65 && model.rev > model.compacted) {
          const rev = model.compacted + 1 + rnd.int(model.rev - model.compacted);
          t.ok({ kind: 'compaction', compaction: { revision: rev } });
          model.compacted = rev;
        } else if (roll < 0.67 && reopens < 3) {
          reopens++;
          await t.reopen();
        } else {
          const req = randomRange(model.rev);
          const expected = model.range(req);
          let got: ReturnType<Model['range']>;
          try {
            const res = t.engine.range(req);
            expect(res.header.revision).toBe(model.rev);
            got = { kvs: res.kvs.map(toModel), count: res.count, more: res.more };
          } catch (error) {
            got = (error as Error).message;
          }
          expect({ ctx: ctx(`step ${step}`), req, got }).toEqual({
            ctx: ctx(`step ${step}`),
            req,
            got: expected,
          });
        }
        expect(t.engine.store.currentRevision).toBe(model.rev);
      }
      // Every revision still readable agrees in full.
      for (let rev = Math.max(1, model.compacted); rev <= model.rev; rev++) {
        const all = { key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision: rev };
        expect(t.engine.range(all).kvs.map(toModel)).toEqual((model.range(all) as { kvs: ModelKv[] }).kvs);
      }
      expect(model.rev).toBeGreaterThan(50);
    });
  }
});
