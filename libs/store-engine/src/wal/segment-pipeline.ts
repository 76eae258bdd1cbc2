/*
 * Keeps the next WAL segment file allocated ahead of time (etcd's filePipeline), so a cut
 * renames a ready file instead of writing 64 MiB of zeros while saves wait. Files are prepared
 * under a temporary name (see preparedFileName) that is never read as a segment.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { allocateFile } from './segment-file';
import { preparedFileName } from './segment-name';

interface Preparation {
  path: string;
  /** Settles once the file is ready; never rejects (see failed). */
  done: Promise<void>;
  failed?: Error;
}

export class SegmentPipeline {
  private readonly preparing = new Map<number, Preparation>();
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Starts preparing the file for segment `seq` in the background, unless it already is. */
  prepare(seq: number): void {
    if (this.stopped || this.preparing.has(seq)) return;
    const path = join(this.dir, preparedFileName(seq));
    const preparation: Preparation = { path, done: Promise.resolve() };
    preparation.done = allocateFile(path, this.segmentBytes, () => this.stopped).catch((error: Error) => {
      preparation.failed = error;
    });
    this.preparing.set(seq, preparation);
  }

  /**
   * The allocated file for segment `seq`, for the caller to rename into place. Waits for its
   * preparation, started now if it was not; a failed background preparation is tried once more.
   */
  async take(seq: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      this.prepare(seq);
      const preparation = this.preparing.get(seq);
      if (!preparation) throw new Error('wal: segment pipeline stopped');
      await preparation.done;
      this.preparing.delete(seq);
      if (!preparation.failed) return preparation.path;
      if (attempt > 0) throw preparation.failed;
    }
  }

  /** Stops background work and removes the files prepared and not taken. */
  async stop(): Promise<void> {
    this.stopped = true;
    const left = [...this.preparing.values()];
    this.preparing.clear();
    for (const preparation of left) {
      await preparation.done;
      rmSync(preparation.path, { force: true });
    }
  }
}
