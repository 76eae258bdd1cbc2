/*
 * The backend keeps a write transaction's changes in memory and commits them to LMDB with the
 * others of the last interval (etcd's batch transaction). Model-based: random puts and deletes
 * in transactions (some of which throw), commits, reopenings and reads against a Map that
 * holds what every read must see. SEED=<n> replays a run.
 */
import { join } from 'node:path';
import { Backend, BACKEND_BATCH_LIMIT } from '../src';
import { prng } from './support/engine';
import { useTempDir } from './support/temp-dir';

/** Few keys, some sharing prefixes, bytes from both ends: deletions and overwrites meet often. */
const KEYS = ['\x00', '\x00\x01', 'a', 'ab', 'b', 'b/1', 'b/2', 'c', '\x7f', '\x80', '\xff', '\xff\xff'].map(
  (k) => Buffer.from(k, 'latin1'),
);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

class Aborted extends Error {}

/** What the bucket must hold: hex key to value. */
type Model = Map<string, string>;

function expectedRange(model: Model, start?: Buffer, end?: Buffer): Array<[string, string]> {
  return [...model]
    .filter(([key]) => {
      const k = Buffer.from(key, 'hex');
      return (
        (start === undefined || Buffer.compare(k, start) >= 0) &&
        (end === undefined || Buffer.compare(k, end) < 0)
      );
    })
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
}

function expectSameAs(backend: Backend, model: Model, pickBound: () => Buffer | undefined): void {
  const bucket = backend.bucket('key');
  for (const key of KEYS) {
    expect(bucket.get(key)?.toString('hex')).toBe(model.get(hex(key)));
    expect(bucket.getTransient(key)?.toString('hex')).toBe(model.get(hex(key)));
  }
  expect(bucket.count()).toBe(model.size);
  const everything = [...bucket.range()].map(({ key, value }) => [hex(key), value.toString('hex')]);
  expect(everything).toEqual(expectedRange(model));
  const start = pickBound();
  const end = pickBound();
  const some = [...bucket.range(start, end)].map(({ key, value }) => [hex(key), value.toString('hex')]);
  expect(some).toEqual(expectedRange(model, start, end));
}

describe('Backend: write transactions batched in memory before LMDB', () => {
  let dir = '';
  useTempDir('skyroad-backend-', (d) => (dir = join(d, 'backend')));

  /** Opens a backend in the test's directory for `use`, closed afterwards whatever happened. */
  async function withBackend(syncIntervalMs: number, use: (backend: Backend) => Promise<void> | void) {
    const backend = Backend.open(dir, { syncIntervalMs });
    try {
      await use(backend);
    } finally {
      await backend.close();
    }
  }

  it('reads every change at once and keeps them across commits and reopenings (model)', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`backend model: SEED=${seed}`);
    const random = prng(seed);
    const pickBound = () => (random.int(4) === 0 ? undefined : random.pick(KEYS));
    // A long interval: the test decides when changes are committed.
    let backend = Backend.open(dir, { syncIntervalMs: 60_000 });
    const model: Model = new Map();
    try {
      for (let step = 0; step < 1500; step++) {
        const roll = random.int(100);
        if (roll < 75) {
          // One transaction of 1–4 changes; a fifth of them throw and must leave nothing.
          const changes = Array.from({ length: 1 + random.int(4) }, () => ({
            key: random.pick(KEYS),
            value: random.int(3) === 0 ? undefined : Buffer.from([step & 0xff, random.int(256)]),
          }));
          const aborts = random.int(5) === 0;
          const staged = new Map(model);
          try {
            backend.write(() => {
              for (const { key, value } of changes) {
                if (value) backend.bucket('key').put(key, value);
                else backend.bucket('key').delete(key);
                if (value) staged.set(hex(key), value.toString('hex'));
                else staged.delete(hex(key));
                // Inside the transaction its own changes are read too.
                expect(backend.bucket('key').get(key)?.toString('hex')).toBe(staged.get(hex(key)));
              }
              if (aborts) throw new Aborted();
            });
          } catch (error) {
            if (!(error instanceof Aborted)) throw error;
          }
          if (!aborts) {
            model.clear();
            for (const [key, value] of staged) model.set(key, value);
          }
        } else if (roll < 88) {
          await backend.flushed();
        } else if (roll < 92) {
          await backend.close();
          backend = Backend.open(dir, { syncIntervalMs: 60_000 });
        }
        expectSameAs(backend, model, pickBound);
      }
    } finally {
      await backend.close();
    }
  });

  it('leaves changes out of the data file until they are committed, copying what it was given', async () => {
    await withBackend(60_000, async (backend) => {
      const before = backend.fileBytes();
      const value = Buffer.alloc(64 * 1024, 1);
      backend.write(() => backend.bucket('key').put(Buffer.from('k'), value));
      value.fill(2); // the caller's buffer is its own again once put() returns
      expect(
        backend
          .bucket('key')
          .get(Buffer.from('k'))
          ?.equals(Buffer.alloc(64 * 1024, 1)),
      ).toBe(true);
      expect(backend.fileBytes()).toBe(before);
      await backend.flushed();
      expect(backend.fileBytes()).toBeGreaterThan(before);

      const grown = backend.fileBytes();
      backend.write(() => {
        for (let i = 0; i < BACKEND_BATCH_LIMIT; i++)
          backend.bucket('key').put(Buffer.from(`batch/${i}`), Buffer.alloc(100, 2));
      });
      // Past the batch limit they are committed within write() itself.
      expect(backend.fileBytes()).toBeGreaterThan(grown);
      expect(backend.bucket('key').count()).toBe(BACKEND_BATCH_LIMIT + 1);
    });
  });

  it('commits on its own every interval', async () => {
    await withBackend(20, async (backend) => {
      const before = backend.fileBytes();
      backend.write(() => backend.bucket('key').put(Buffer.from('k'), Buffer.alloc(64 * 1024, 1)));
      for (let i = 0; i < 200 && backend.fileBytes() <= before; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(backend.fileBytes()).toBeGreaterThan(before);
    });
  });

  it('closes safely while a sync of the data file is still running', async () => {
    // Without waiting for the sync, closing crashed the process (SIGSEGV) in some rounds.
    const ROUNDS = 100;
    for (let round = 0; round < ROUNDS; round++) {
      const backend = Backend.open(dir, { syncIntervalMs: 60_000 });
      backend.write(() =>
        backend.bucket('key').put(Buffer.from(`k${round}`), Buffer.alloc(64 * 1024, round)),
      );
      const synced = backend.flushed(); // the sync runs on LMDB's thread
      await backend.close();
      await synced;
    }
    // Every round's write was committed before its close and is read back.
    await withBackend(60_000, (backend) => expect(backend.bucket('key').count()).toBe(ROUNDS));
  });

  it('counts changes not yet committed towards the size the quota checks', async () => {
    await withBackend(60_000, async (backend) => {
      const before = backend.sizeBytes();
      backend.write(() => backend.bucket('key').put(Buffer.from('big'), Buffer.alloc(100_000)));
      expect(backend.sizeBytes()).toBeGreaterThanOrEqual(before + 100_000);
    });
  });

  it('reports the data file as it grows with each commit', async () => {
    await withBackend(60_000, async (backend) => {
      // The file's own size after a commit: LMDB grows the file as pages are written.
      const committedFile = async () => {
        await backend.flushed();
        return backend.fileBytes();
      };
      const sizes: number[] = [];
      for (let round = 0; round < 4; round++) {
        backend.write(() => {
          for (let i = 0; i < 8; i++)
            backend.bucket('key').put(Buffer.from(`k-${round}-${i}`), Buffer.alloc(50_000, round));
        });
        const file = await committedFile();
        // Nothing pending: the size is LMDB's, at least the file's pages written so far.
        expect(backend.sizeBytes()).toBeGreaterThanOrEqual(file);
        sizes.push(backend.sizeBytes());
      }
      for (let i = 1; i < sizes.length; i++)
        expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1] + 8 * 50_000);
    });
  });
});
