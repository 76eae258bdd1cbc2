/*
 * Kills a real process that saves entries to the WAL and applies them to the engine (as a
 * store member does) with SIGKILL, three times. After each kill: reopening and replaying only
 * the WAL entries after the consistent index gives a key space where every acknowledged write
 * is present at its own revision, and nothing was applied twice. The writer releases old WAL
 * segments as it goes, as the server does after snapshots.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useProcessSet, waitFor } from '@skyroad/testkit';
import { StoreEngine, Wal } from '../src';

const processes = useProcessSet();
const ROUNDS = 3;

const acked = (logFile: string) =>
  [...readFileSync(logFile, 'utf8').matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1]));

describe('store member under SIGKILL', () => {
  it('recovers every acknowledged write from backend + WAL, applying each entry once', async () => {
    const dataDir = processes.tempDir('member-crash-');
    let highestAcked = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const child = await processes.spawn({
        name: `member-writer-${round}`,
        command: process.execPath,
        args: [
          '-r',
          join(__dirname, 'support/register-ts.js'),
          join(__dirname, 'support/member-writer.ts'),
          dataDir,
        ],
      });
      const target = highestAcked + 100 * round;
      await waitFor(() => (child.running ? Math.max(0, ...acked(child.logFile)) >= target : 'exited'), {
        timeoutMs: 60_000,
        what: `${child.name} to acknowledge entry ${target}`,
      });
      expect(child.running).toBe(true);
      await child.kill('SIGKILL');
      highestAcked = Math.max(highestAcked, ...acked(child.logFile));

      const { wal, contents } = Wal.open(join(dataDir, 'wal'), { segmentBytes: 16 * 1024 });
      const engine = StoreEngine.open({ dataDir, watch: { timers: false } });
      try {
        const consistent = engine.applier.consistentIndex;
        const lastInWal = contents.entries.at(-1)!.index;
        expect(consistent).toBeLessThanOrEqual(lastInWal);
        // Released segments held only entries the backend already had.
        expect(contents.entries[0].index).toBeLessThanOrEqual(consistent + 1);
        if (round > 1) expect(contents.entries[0].index).toBeGreaterThan(1);
        engine.applier.applyEntries(contents.entries);
        // One put per entry: the revision is the entry count, whatever was replayed.
        expect(engine.store.currentRevision).toBe(lastInWal);
        expect(lastInWal).toBeGreaterThanOrEqual(highestAcked);
        const all = engine.range({ key: Buffer.from('k/'), rangeEnd: Buffer.from('k0') });
        expect(all.count).toBe(lastInWal);
        for (const index of acked(child.logFile)) {
          const [kv] = engine.range({ key: Buffer.from(`k/${index}`) }).kvs;
          expect([kv?.value.toString(), kv?.modRevision, kv?.version]).toEqual([`v${index}`, index, 1]);
        }
      } finally {
        await engine.close();
        await wal.close();
      }
    }
  });
});
