import fc from 'fast-check';
import {
  ConsistentHashBalancer,
  HashRing,
  LeastRequestBalancer,
  P2CBalancer,
  RandomBalancer,
  RoundRobinBalancer,
  WeightedRoundRobinBalancer,
  murmur3,
  seededRandom,
  type Endpoint,
} from '../src/index';

const endpoints = (weights: number[]): Endpoint[] =>
  weights.map((weight, i) => ({ id: `i${i}`, weight, metadata: {} }));

/** Six standard deviations: a correct implementation exceeds it with probability < 1e-8. */
const sixSigma = (n: number, p: number) => 6 * Math.sqrt(n * p * (1 - p));

describe('murmur3', () => {
  it('matches the reference vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(613153351);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });
});

describe('RoundRobinBalancer', () => {
  it('visits every candidate once per cycle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), (n, cycles) => {
        const rr = new RoundRobinBalancer();
        const list = endpoints(Array(n).fill(1));
        const counts = new Map<string, number>();
        for (let k = 0; k < n * cycles; k++) {
          const id = rr.pick(list)!.id;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        expect([...counts.values()]).toEqual(Array(n).fill(cycles));
      }),
    );
  });
});

describe('WeightedRoundRobinBalancer (smooth, as nginx)', () => {
  it('interleaves 5,1,1 as a a b a c a a', () => {
    const wrr = new WeightedRoundRobinBalancer();
    const list = [
      { id: 'a', weight: 5, metadata: {} },
      { id: 'b', weight: 1, metadata: {} },
      { id: 'c', weight: 1, metadata: {} },
    ];
    const seq = Array.from({ length: 7 }, () => wrr.pick(list)!.id).join(' ');
    expect(seq).toBe('a a b a c a a');
  });

  it('picks each candidate exactly weight times in every cycle of sum(weights) picks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }), (weights) => {
        fc.pre(weights.some((w) => w > 0));
        const wrr = new WeightedRoundRobinBalancer();
        const list = endpoints(weights);
        const total = weights.reduce((a, b) => a + b, 0);
        for (let cycle = 0; cycle < 2; cycle++) {
          const counts = new Map<string, number>();
          for (let k = 0; k < total; k++) {
            const id = wrr.pick(list)!.id;
            counts.set(id, (counts.get(id) ?? 0) + 1);
          }
          list.forEach((e) => expect(counts.get(e.id) ?? 0).toBe(e.weight));
        }
      }),
    );
  });
});

describe('RandomBalancer', () => {
  it('spreads picks evenly (within 6 sigma)', () => {
    const rnd = new RandomBalancer(seededRandom(11));
    const list = endpoints([1, 1, 1, 1, 1]);
    const n = 50_000;
    const counts = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const id = rnd.pick(list)!.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const e of list) expect(Math.abs(counts.get(e.id)! - n / 5)).toBeLessThan(sixSigma(n, 1 / 5));
  });
});

describe('LeastRequestBalancer and P2CBalancer', () => {
  const loads = fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 10 });

  it('least_request always picks a candidate with the fewest requests in flight', () => {
    fc.assert(
      fc.property(loads, fc.integer(), (load, seed) => {
        const list = endpoints(load.map(() => 1));
        const inFlight = (id: string) => load[Number(id.slice(1))];
        const chosen = new LeastRequestBalancer(seededRandom(seed)).pick(list, { inFlight })!;
        expect(inFlight(chosen.id)).toBe(Math.min(...load));
      }),
    );
  });

  it('p2c never picks the single most loaded candidate', () => {
    fc.assert(
      fc.property(loads, fc.integer(), (load, seed) => {
        fc.pre(load.length >= 2);
        const max = Math.max(...load);
        fc.pre(load.filter((l) => l === max).length === 1);
        const list = endpoints(load.map(() => 1));
        const inFlight = (id: string) => load[Number(id.slice(1))];
        const p2c = new P2CBalancer(seededRandom(seed));
        for (let k = 0; k < 20; k++) expect(inFlight(p2c.pick(list, { inFlight })!.id)).toBeLessThan(max);
      }),
    );
  });
});

describe('ConsistentHashBalancer', () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

  it('sends a key to the same instance every time, whatever the candidate order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.string(), (n, key) => {
        const list = endpoints(Array(n).fill(1));
        const ch = new ConsistentHashBalancer();
        const first = ch.pick(list, { hashKey: key })!.id;
        expect(ch.pick([...list].reverse(), { hashKey: key })!.id).toBe(first);
        expect(new ConsistentHashBalancer().pick(list, { hashKey: key })!.id).toBe(first);
      }),
      { numRuns: 50 },
    );
  });

  it('moves only keys that go to an added instance, about 1/(n+1) of them', () => {
    for (const n of [2, 5, 10]) {
      const before = new HashRing(
        endpoints(Array(n).fill(1)).map((e) => e.id),
        160,
      );
      const after = new HashRing(
        endpoints(Array(n + 1).fill(1)).map((e) => e.id),
        160,
      );
      const added = `i${n}`;
      let moved = 0;
      for (const key of keys) {
        const a = before.lookup(key);
        const b = after.lookup(key);
        if (a !== b) {
          moved += 1;
          expect(b).toBe(added);
        }
      }
      const fraction = moved / keys.length;
      console.log(
        `consistent_hash: ${n} -> ${n + 1} instances moved ${(fraction * 100).toFixed(1)}% of keys`,
      );
      expect(fraction).toBeGreaterThan(0);
      expect(fraction).toBeLessThan(2 / (n + 1));
    }
  });

  it('spreads keys over instances', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd'], 160);
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(ring.lookup(key)!, (counts.get(ring.lookup(key)!) ?? 0) + 1);
    for (const id of ['a', 'b', 'c', 'd']) expect(counts.get(id)! / keys.length).toBeGreaterThan(0.15);
  });
});
