/*
 * A quick benchmark of the engine's hot paths on this machine (not a test: it asserts nothing).
 * Run from libs/store-engine: node -r ./test/support/register-ts.js bench/engine-bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRequest } from '../src/applier/request';
import { StoreEngine } from '../src/engine';
import { Wal } from '../src/wal/wal';

const KEYS = 10_000;
const VALUE_BYTES = 256;

function rate(n: number, startNs: bigint): string {
  const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  return `${Math.round(n / seconds).toLocaleString('en-US')}/s`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  const rows: [string, string][] = [];
  try {
    const engine = StoreEngine.open({ dataDir: dir, watch: { timers: false } });
    const value = Buffer.alloc(VALUE_BYTES, 1);
    const entry = (index: number) => ({
      index,
      term: 1,
      data: encodeRequest({ kind: 'put', put: { key: Buffer.from(`key/${index % KEYS}`), value } }),
    });
    let index = 0;

    let start = process.hrtime.bigint();
    for (let i = 0; i < 2_000; i++) engine.applier.applyEntries([entry(++index)]);
    rows.push(['apply put, 1 entry per backend txn', rate(2_000, start)]);

    start = process.hrtime.bigint();
    for (let batch = 0; batch < 200; batch++) {
      engine.applier.applyEntries(Array.from({ length: 100 }, () => entry(++index)));
    }
    rows.push(['apply put, 100 entries per backend txn', rate(20_000, start)]);

    start = process.hrtime.bigint();
    for (let i = 0; i < 2_000; i++) engine.range({ key: Buffer.from(`key/${i % KEYS}`) });
    rows.push(['range, one key', rate(2_000, start)]);

    start = process.hrtime.bigint();
    for (let i = 0; i < 20; i++)
      engine.range({ key: Buffer.from('key/'), rangeEnd: Buffer.from('key0'), limit: 1000 });
    rows.push([`range, prefix over ${KEYS} keys, limit 1000`, rate(20, start)]);
    await engine.close();

    const { wal } = Wal.open(join(dir, 'wal'));
    const walEntry = (i: number) => ({ index: i, term: 1, type: 0, data: value });
    let walIndex = 0;
    start = process.hrtime.bigint();
    for (let i = 0; i < 300; i++)
      await wal.save({ term: 1, vote: 1, commit: walIndex }, [walEntry(++walIndex)]);
    rows.push(['WAL save, 1 in flight (one fsync each)', rate(300, start)]);

    start = process.hrtime.bigint();
    const before = wal.stats().syncs;
    await Promise.all(Array.from({ length: 5_000 }, () => wal.save(undefined, [walEntry(++walIndex)])));
    rows.push([`WAL save, 5000 concurrent (${wal.stats().syncs - before} fsyncs)`, rate(5_000, start)]);
    await wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) process.stdout.write(`${name.padEnd(width)}  ${value}\n`);
}

void main();
