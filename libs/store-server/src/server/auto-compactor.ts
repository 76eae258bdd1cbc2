import type { AutoCompactionMode } from '../config/flags';
import { FlagError } from '../config/flags';
import { parseRetentionMs } from '../config/retention';
import type { Logger } from '../log/logger';

/** etcd's revision-mode compactor checks every 5 minutes. */
export const REVISION_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
/** Periodic mode samples the revision ten times per retention period, as etcd 3.4 does. */
const PERIODIC_SAMPLES_PER_RETENTION = 10;
export interface CompactionTarget {
  isLeader(): boolean;
  currentRevision(): number;
  compactedRevision(): number;
  compact(revision: number): Promise<unknown>;
}

/**
 * Compacts history automatically on the leader (etcd's --auto-compaction-*): periodic keeps
 * the revisions of the last `retention` time; revision keeps the last `retention` revisions.
 */
export class AutoCompactor {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: { atMs: number; revision: number }[] = [];
  private readonly retention: number;

  constructor(
    private readonly mode: AutoCompactionMode,
    retention: string,
    private readonly target: CompactionTarget,
    private readonly logger: Logger,
  ) {
    this.retention = mode === 'periodic' ? parseRetentionMs(retention) : Number(retention);
    if (mode === 'revision' && !(this.retention > 0)) {
      throw new FlagError(`invalid --auto-compaction-retention "${retention}": a number of revisions`);
    }
  }

  start(): void {
    const every =
      this.mode === 'periodic'
        ? Math.max(1, Math.floor(this.retention / PERIODIC_SAMPLES_PER_RETENTION))
        : REVISION_COMPACTION_INTERVAL_MS;
    this.timer = setInterval(() => this.run(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private run(): void {
    const now = Date.now();
    const current = this.target.currentRevision();
    this.samples.push({ atMs: now, revision: current });
    let revision = 0;
    if (this.mode === 'periodic') {
      // The newest sample at least `retention` old: everything before it may go.
      while (this.samples.length > 1 && now - this.samples[1].atMs >= this.retention) this.samples.shift();
      if (now - this.samples[0].atMs >= this.retention) revision = this.samples[0].revision;
    } else {
      this.samples.length = 0;
      revision = current - this.retention;
    }
    if (!this.target.isLeader() || revision <= this.target.compactedRevision()) return;
    this.target.compact(revision).then(
      () => this.logger.info({ revision, mode: this.mode }, 'auto compaction done'),
      (error: unknown) => this.logger.warn({ err: error, revision }, 'auto compaction failed'),
    );
  }
}
