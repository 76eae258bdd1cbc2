import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { MEMBER_HEAP_GROWING_PERCENT } from '@skyroad/store-server';

/*
 * A member sets V8's old-generation growing factor at start-up (tuneHeapGrowth, called by
 * main.ts). These run the built function in a fresh node with --trace-gc-verbose, which prints
 * the factor each mark-compact sets the next limit with ("[HeapController] Limit: ... (F)").
 *
 * The child builds an old generation, then runs full GCs 40 ms apart with next to no
 * allocation between them: the member's pattern in the extreme (marking fast, promotion
 * slow), for which V8's own choice falls to its minimum of 1.1 (the first test shows it).
 */

/** The built library, as the skyroad-store command loads it (jest maps imports to the sources). */
const LIBRARY = join(__dirname, '..', '..', '..', 'libs', 'store-server', 'dist', 'index.js');
const RESULT_MARK = 'tuneHeapGrowth:';
const FULL_GCS = 25;

/** The factor of the last mark-compact, and what tuneHeapGrowth answered (if it ran). */
function lastFactor(options: { tune: boolean; nodeFlags?: string[] }): { result?: string; factor: number } {
  const script = `
    if (${options.tune}) {
      const { tuneHeapGrowth } = require(${JSON.stringify(LIBRARY)});
      console.log(${JSON.stringify(RESULT_MARK)} + JSON.stringify(tuneHeapGrowth()));
    }
    const kept = [];
    for (let i = 0; i < 200000; i++) kept.push({ i, text: 'entry ' + i });
    let runs = 0;
    const timer = setInterval(() => {
      kept.push({ i: runs });
      globalThis.gc();
      if (++runs === ${FULL_GCS}) clearInterval(timer);
    }, 40);
  `;
  const child = spawnSync(
    process.execPath,
    ['--trace-gc-verbose', '--expose-gc', ...(options.nodeFlags ?? []), '-e', script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  // stderr may carry node's warnings (FORCE_COLOR with NO_COLOR in CI); it is shown on failure.
  if (child.status !== 0) throw new Error(`the child exited with ${child.status}: ${child.stderr}`);
  const limits = [...child.stdout.matchAll(/\[HeapController\] Limit: .*\(([\d.]+)\)/g)];
  expect(limits.length).toBeGreaterThanOrEqual(FULL_GCS);
  const marked = child.stdout.split('\n').find((line) => line.startsWith(RESULT_MARK));
  return { result: marked?.slice(RESULT_MARK.length), factor: Number(limits[limits.length - 1][1]) };
}

it("V8's own factor for this pattern is its minimum (so the tests below can tell)", () => {
  expect(lastFactor({ tune: false }).factor).toBe(1.1);
});

it('makes mark-compacts set the next limit with a factor of 4', () => {
  const { result, factor } = lastFactor({ tune: true });
  expect(result).toBe(String(MEMBER_HEAP_GROWING_PERCENT));
  expect(factor).toBe(1 + MEMBER_HEAP_GROWING_PERCENT / 100);
});

it('leaves the factor alone when node was started with its own --heap-growing-percent', () => {
  const { result, factor } = lastFactor({ tune: true, nodeFlags: ['--heap-growing-percent=50'] });
  expect(result).toBe('null');
  expect(factor).toBe(1.5);
});
