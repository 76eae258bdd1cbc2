import { FsyncMode, INLINE_FSYNC_SLOW_MS, POOLED_FSYNC_FAST_MS } from '../src';

describe('FsyncMode', () => {
  const feed = (mode: FsyncMode, ms: number, times: number) => {
    for (let i = 0; i < times; i++) mode.observe(ms);
  };

  it('syncs inline while syncs are fast, and moves to the pool once they are slow', () => {
    const mode = new FsyncMode();
    expect(mode.inline).toBe(true);
    feed(mode, 0.2, 50);
    expect(mode.inline).toBe(true);
    // One slow sync among fast ones does not move it.
    mode.observe(INLINE_FSYNC_SLOW_MS * 5);
    expect(mode.inline).toBe(true);
    feed(mode, INLINE_FSYNC_SLOW_MS * 4, 20);
    expect(mode.inline).toBe(false);
  });

  it('comes back inline only once pooled syncs are below the lower threshold', () => {
    const mode = new FsyncMode();
    feed(mode, 10, 50);
    expect(mode.inline).toBe(false);
    // Between the thresholds it stays where it is (no flapping).
    feed(mode, (INLINE_FSYNC_SLOW_MS + POOLED_FSYNC_FAST_MS) / 2, 100);
    expect(mode.inline).toBe(false);
    feed(mode, POOLED_FSYNC_FAST_MS / 4, 100);
    expect(mode.inline).toBe(true);
  });

  it('keeps a fixed placement whatever the syncs take', () => {
    const inline = new FsyncMode('inline');
    const pool = new FsyncMode('pool');
    feed(inline, 50, 100);
    feed(pool, 0.01, 100);
    expect(inline.inline).toBe(true);
    expect(pool.inline).toBe(false);
  });
});
