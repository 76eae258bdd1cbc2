/*
 * Kills a real process with SIGKILL while it appends to the WAL, then checks that every save it
 * had seen acknowledged (fsync done) is in the log when reopened, with its exact bytes, and
 * that the log is a gapless prefix. Three rounds on the same directory: each child first
 * repairs what the previous one left. Run with the default (64 MiB, preallocated) segments and
 * with small ones, so that kills also land while the next segment is prepared or cut to.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useProcessSet, waitFor } from '@skyroad/testkit';
import { Wal } from '../src';
import { walPayload } from './support/wal-payload';

const processes = useProcessSet();
const ROUNDS = 3;
const SMALL_SEGMENT_BYTES = 64 * 1024;

function acked(logFile: string): number[] {
  return [...readFileSync(logFile, 'utf8').matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1]));
}

describe('WAL under SIGKILL', () => {
  it('keeps every acknowledged entry across crashes mid-write', async () => {
    await crashRounds(undefined);
  });

  it('keeps every acknowledged entry across crashes with segments cut every 64 KiB', async () => {
    const { dir, segmentFiles } = await crashRounds(SMALL_SEGMENT_BYTES);
    expect(segmentFiles.length).toBeGreaterThan(10);
    // Each segment was allocated to its size (the records of a save can run past it).
    for (const file of segmentFiles) {
      expect(statSync(join(dir, file)).size).toBeGreaterThanOrEqual(SMALL_SEGMENT_BYTES);
    }
  });
});

async function crashRounds(
  segmentBytes: number | undefined,
): Promise<{ dir: string; segmentFiles: string[] }> {
  const dir = processes.tempDir('wal-crash-');
  let highestAcked = 0;
  let segmentFiles: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const child = await processes.spawn({
      name: `wal-writer-${round}`,
      command: process.execPath,
      args: [
        '-r',
        join(__dirname, 'support/register-ts.js'),
        join(__dirname, 'support/wal-writer.ts'),
        dir,
        ...(segmentBytes ? [String(segmentBytes)] : []),
      ],
    });
    // Let it write a while past the previous round's point, then kill it without warning.
    const target = highestAcked + 150 * round;
    await waitFor(() => (child.running ? Math.max(0, ...acked(child.logFile)) >= target : 'exited'), {
      timeoutMs: 60_000,
      what: `${child.name} to acknowledge entry ${target}`,
    });
    expect(child.running).toBe(true);
    const status = await child.kill('SIGKILL');
    expect(status.signal).toBe('SIGKILL');

    const acks = acked(child.logFile);
    highestAcked = Math.max(highestAcked, ...acks);
    const { wal, contents } = Wal.open(dir, { segmentBytes });
    // A file the writer was preparing is gone, never read as a segment.
    expect(readdirSync(dir).filter((f) => !f.endsWith('.wal'))).toEqual([]);
    const indexes = contents.entries.map((e) => e.index);
    expect(indexes[0]).toBe(1);
    expect(indexes.every((index, i) => index === i + 1)).toBe(true);
    expect(indexes.at(-1)!).toBeGreaterThanOrEqual(highestAcked);
    for (const e of contents.entries) {
      if (!Buffer.from(e.data).equals(walPayload(e.index)))
        throw new Error(`entry ${e.index} has wrong bytes`);
    }
    expect(contents.hardState!.commit).toBeGreaterThanOrEqual(Math.floor(highestAcked / 10) * 10 - 10);
    segmentFiles = wal.segmentFiles();
    await wal.close();
  }
  return { dir, segmentFiles };
}
