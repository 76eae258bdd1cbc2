import { setFlagsFromString } from 'node:v8';

/*
 * How far a member lets V8's old generation grow before the next mark-compact.
 *
 * V8 picks the growing factor itself, between 1.1 and 4, from how fast it marks against how
 * fast the program promotes objects. A member promotes slowly (about 1 KB per write: mostly
 * the Raft log's entries, kept until the next snapshot) and V8 marks that quickly, so it picks
 * about 1.1: a mark-compact every 1-3 s at one client, each stopping the member for 2-28 ms
 * (plus incremental steps of up to 10 ms), measured with --trace-gc. A write that meets one
 * waits for it: that was most of the write p99 gap to etcd. Go, which etcd runs on, collects
 * when the heap has doubled (GOGC=100) and stops the program for well under a millisecond.
 *
 * A fixed factor of 4 (V8's own upper bound) makes mark-compacts about four times rarer. The
 * memory it costs is small: the member's V8 heap holds the Raft log and in-flight work, not
 * the keys and values (those are in LMDB), so after loading 1,000,000 keys its RSS did not
 * change. docs/performance.md has the figures.
 */

/** Growth of the old generation between two mark-compacts, in percent (V8's --heap-growing-percent). */
export const MEMBER_HEAP_GROWING_PERCENT = 300;

const V8_FLAG = '--heap-growing-percent';

/**
 * Sets the member's heap growing factor unless node was started with its own
 * --heap-growing-percent (an operator's choice wins). V8 reads the flag each time it sets the
 * next limit, so setting it at start-up, before the first mark-compact, is enough. Returns the
 * percentage in force, or null when the operator set it.
 */
export function tuneHeapGrowth(execArgv: readonly string[] = process.execArgv): number | null {
  if (
    execArgv.some(
      (arg) => arg === V8_FLAG || arg.startsWith(`${V8_FLAG}=`) || arg.startsWith('--heap_growing_percent'),
    )
  )
    return null;
  setFlagsFromString(`${V8_FLAG}=${MEMBER_HEAP_GROWING_PERCENT}`);
  return MEMBER_HEAP_GROWING_PERCENT;
}
