/*
 * Physical compaction in the background, in batches (etcd's scheduleCompaction): the applier
 * only records the compaction and trims the in-memory index, which is quick; the revisions the
 * index no longer holds are deleted from the backend COMPACTION_BATCH_REVISIONS at a time, one
 * backend transaction each, with a pause between batches so applying never waits long behind a
 * large compaction. A restart resumes an unfinished compaction (meta scheduled > finished).
 */
import type { Backend } from '../backend/backend';
import { META_COMPACT_REVISION, writeMetaNumber } from '../backend/meta';
import { bytesToRevision, revisionToBytes, type Revision } from './revision';

/** Revisions looked at per backend transaction (etcd's compaction-batch-limit default). */
export const COMPACTION_BATCH_REVISIONS = 1000;
/** Pause between batches (etcd's compaction sleep interval). */
export const COMPACTION_BATCH_PAUSE_MS = 10;

/** Whether the index still needs this stored revision (its value says which key it belongs to). */
export type RevisionStillNeeded = (rev: Revision, storedValue: Buffer) => boolean;

export class Compactor {
  private target = 0;
  private resumeFrom: Buffer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly backend: Backend,
    private readonly stillNeeded: RevisionStillNeeded,
    private readonly batchRevisions = COMPACTION_BATCH_REVISIONS,
  ) {}

  /** Deletes, in the background, every stored revision <= rev the index no longer needs. */
  schedule(rev: number): void {
    this.target = Math.max(this.target, rev);
    // A later compaction may free revisions an earlier one kept: scan again from the start.
    this.resumeFrom = undefined;
    if (!this.running) {
      this.running = true;
      this.next(0);
    }
  }

  get pending(): boolean {
    return this.running;
  }

  /** Resolves once no compaction is left to do. */
  done(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.running = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private next(delayMs: number): void {
    this.timer = setTimeout(() => this.step(), delayMs);
    this.timer.unref();
  }

  private step(): void {
    if (this.stopped) return;
    // The data file is being replaced: come back later.
    if (this.backend.busy) return this.next(COMPACTION_BATCH_PAUSE_MS);
    const target = this.target;
    const finished = this.backend.write(() => {
      const keyBucket = this.backend.bucket('key');
      const doomed: Buffer[] = [];
      let seen = 0;
      let last: Buffer | undefined;
      for (const { key, value } of keyBucket.range(
        this.resumeFrom,
        revisionToBytes({ main: target + 1, sub: 0 }),
      )) {
        if (!this.stillNeeded(bytesToRevision(key), value)) doomed.push(Buffer.from(key));
        last = Buffer.from(key);
        if (++seen >= this.batchRevisions) break;
      }
      for (const key of doomed) keyBucket.delete(key);
      if (seen < this.batchRevisions) {
        writeMetaNumber(this.backend, META_COMPACT_REVISION, target);
        return true;
      }
      this.resumeFrom = Buffer.concat([last!, Buffer.from([0])]);
      return false;
    });
    if (finished && target === this.target) {
      this.running = false;
      for (const resolve of this.waiters.splice(0)) resolve();
      return;
    }
    this.next(COMPACTION_BATCH_PAUSE_MS);
  }
}
