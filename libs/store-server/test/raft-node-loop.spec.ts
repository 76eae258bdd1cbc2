/*
 * The Raft loop's two ways through a Ready: one that waits for nothing (a commit index to
 * apply) is applied before the loop returns, with applyEntriesNow; while the backend file is
 * being replaced (a defragment or snapshot restore) the loop waits in applyEntries instead, and
 * applies nothing before it may. A single-member node on a real WAL and backend in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EntryType, type Entry, type Message, type ReadState, type Snapshot } from '@skyroad/raft';
import { Backend } from '@skyroad/store-engine';
import { createLogger } from '../src/log/logger';
import { StoreMetrics } from '../src/metrics/metrics';
import { EngineRaftLog } from '../src/node/engine-raft-log';
import { RaftNode, type ApplyTarget } from '../src/node/raft-node';

const WAIT_TURNS = 2_000;

/** Records how each entry with data was applied; `busy` plays a backend being replaced. */
class RecordingTarget implements ApplyTarget {
  readonly applied: { data: string; how: 'now' | 'waited' }[] = [];
  private busyUntil: Promise<void> | undefined;
  private release: (() => void) | undefined;

  get canApplyNow(): boolean {
    return this.busyUntil === undefined;
  }

  becomeBusy(): void {
    this.busyUntil = new Promise((resolve) => (this.release = resolve));
  }

  becomeWritable(): void {
    this.busyUntil = undefined;
    this.release?.();
  }

  applyEntriesNow(entries: Entry[]): void {
    if (!this.canApplyNow) throw new Error('applied while the backend was being replaced');
    this.record(entries, 'now');
  }

  async applyEntries(entries: Entry[]): Promise<void> {
    while (this.busyUntil) await this.busyUntil;
    this.record(entries, 'waited');
  }

  private record(entries: Entry[], how: 'now' | 'waited'): void {
    for (const e of entries)
      if (e.type === EntryType.Normal && e.data.length > 0)
        this.applied.push({ data: Buffer.from(e.data).toString(), how });
  }

  async restoreSnapshot(_snapshot: Snapshot): Promise<void> {
    throw new Error('a single member gets no snapshot');
  }
  async snapshotData(): Promise<Uint8Array> {
    return new Uint8Array(0);
  }
  send(_messages: Message[]): void {
    // One member: nobody to send to.
  }
  leaderChanged(): void {}
  readStates(_states: ReadState[]): void {}
  fatal(error: Error): void {
    throw error;
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < WAIT_TURNS; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('Raft loop', () => {
  let dir: string;
  let backend: Backend;
  let log: EngineRaftLog;
  let node: RaftNode;
  let target: RecordingTarget;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raft-node-loop-'));
    backend = Backend.open(join(dir, 'db'));
    log = new EngineRaftLog(dir, backend, Buffer.from('test'));
    target = new RecordingTarget();
    node = new RaftNode(
      {
        id: 1,
        bootstrapVoters: [1],
        bootstrapLearners: [],
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
        snapshotCount: 10_000,
        log,
        logger: createLogger('raft-node-loop', 'error'),
        metrics: new StoreMetrics(),
      },
      target,
    );
    await node.start();
    await until('it leads', () => node.isLeader);
  });

  afterEach(async () => {
    node.stop();
    await log.close();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const propose = (data: string) => node.propose(Buffer.from(data));

  it('applies a committed entry before the loop returns, without waiting', async () => {
    propose('a');
    propose('b');
    await until('both are applied', () => target.applied.length === 2);
    expect(target.applied).toEqual([
      { data: 'a', how: 'now' },
      { data: 'b', how: 'now' },
    ]);
  });

  it('waits while the backend is being replaced, applies nothing meanwhile, then goes on', async () => {
    propose('a');
    await until('a is applied', () => target.applied.length === 1);
    target.becomeBusy();
    propose('b');
    const b = node.status().lastIndex;
    await until('b is committed', () => node.status().commit >= b);
    for (let turn = 0; turn < 20; turn++) await nextTurn();
    expect(target.applied.map((a) => a.data)).toEqual(['a']);
    expect(node.appliedIndex).toBeLessThan(b);

    target.becomeWritable();
    await until('b is applied', () => target.applied.length === 2);
    propose('c');
    await until('c is applied', () => target.applied.length === 3);
    expect(target.applied).toEqual([
      { data: 'a', how: 'now' },
      { data: 'b', how: 'waited' },
      { data: 'c', how: 'now' },
    ]);
    expect(node.appliedIndex).toBe(node.status().commit);
  });
});
