import type { Etcd3, IWatchResponse } from 'etcd3';
import type { WatchRecord, WatchSegment } from '../history/types';
import { toKeyValue } from './recorder';

/*
 * One logical watch: a gRPC watch stream on one member; when the stream fails (member killed,
 * paused, partitioned) it is resumed on another member from the last delivered revision + 1,
 * as a client library would. Each stream is one segment of the record. A watch canceled by
 * compaction ends (it cannot resume exactly any more).
 */

const RESUME_DELAY_MS = 200;
/** A stream silent for this long while traffic runs is presumed stuck (e.g. its member is paused). */
const STALL_MS = 3_000;

export interface WatchSpec {
  id: number;
  key: string;
  rangeEnd: string;
  prevKv: boolean;
  /** 0 = from now. */
  startRevision: number;
  /**
   * The broken-watch variant (a proxy between store and client that loses or reorders
   * responses): 'drop' loses every 5th response carrying events, 'reorder' swaps every 4th
   * with the one before it. The validators must flag both.
   */
  tamper?: 'drop' | 'reorder';
}

const TAMPER_DROP_EVERY = 5;
const TAMPER_SWAP_EVERY = 4;

export class WatchRecorder {
  readonly record: WatchRecord;
  private stopped = false;
  private lastRevision = 0;
  private lastDataMs = Date.now();
  private endpoint = 0;
  private running: Promise<void> = Promise.resolve();
  canceledByCompaction = false;
  private delivered = 0;

  constructor(
    private readonly spec: WatchSpec,
    private readonly clients: Etcd3[],
    private readonly now: () => number,
    firstEndpoint: number,
  ) {
    this.record = { id: spec.id, key: spec.key, rangeEnd: spec.rangeEnd, prevKv: spec.prevKv, segments: [] };
    this.endpoint = firstEndpoint % clients.length;
  }

  /** Highest revision delivered so far. */
  get progress(): number {
    return this.lastRevision;
  }

  start(): Promise<void> {
    this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    let start = this.spec.startRevision;
    while (!this.stopped && !this.canceledByCompaction) {
      const segment: WatchSegment = { startRevision: start, responses: [] };
      try {
        await this.openSegment(segment);
      } catch {
        // stream failed; resume below
      }
      if (segment.responses.length > 0 || segment.startRevision > 0) this.record.segments.push(segment);
      if (this.stopped || this.canceledByCompaction) break;
      start = this.lastRevision > 0 ? this.lastRevision + 1 : segment.startRevision;
      this.endpoint = (this.endpoint + 1) % this.clients.length;
      await new Promise((r) => setTimeout(r, RESUME_DELAY_MS));
    }
  }

  private async openSegment(segment: WatchSegment): Promise<void> {
    const stream = await this.clients[this.endpoint].watchClient.watch();
    this.lastDataMs = Date.now();
    await new Promise<void>((resolve) => {
      const stallTimer = setInterval(() => {
        if (Date.now() - this.lastDataMs > STALL_MS) finish();
      }, 500);
      const finish = (): void => {
        clearInterval(stallTimer);
        try {
          (stream as unknown as { cancel?: () => void }).cancel?.();
          stream.end();
        } catch {
          // already closed
        }
        resolve();
      };
      stream.on('data', (resp: IWatchResponse) => {
        this.lastDataMs = Date.now();
        if (resp.created && segment.startRevision === 0)
          segment.startRevision = Number(resp.header.revision) + 1;
        if (resp.canceled) {
          const compactRevision = Number(resp.compact_revision ?? 0);
          segment.responses.push({
            receivedMs: this.now(),
            revision: Number(resp.header.revision),
            events: [],
            canceled: true,
            compactRevision,
          });
          if (compactRevision > 0) this.canceledByCompaction = true;
          finish();
          return;
        }
        if (!resp.events || resp.events.length === 0) return;
        const events = resp.events.map((e) => ({
          type: e.type === 'Delete' ? ('delete' as const) : ('put' as const),
          kv: toKeyValue(e.kv),
          ...(e.prev_kv ? { prevKv: toKeyValue(e.prev_kv) } : {}),
        }));
        this.delivered++;
        if (this.spec.tamper === 'drop' && this.delivered % TAMPER_DROP_EVERY === 0) return;
        segment.responses.push({ receivedMs: this.now(), revision: Number(resp.header.revision), events });
        const n = segment.responses.length;
        if (this.spec.tamper === 'reorder' && this.delivered % TAMPER_SWAP_EVERY === 0 && n >= 2)
          [segment.responses[n - 2], segment.responses[n - 1]] = [
            segment.responses[n - 1],
            segment.responses[n - 2],
          ];
        this.lastRevision = Math.max(this.lastRevision, events[events.length - 1].kv.modRevision);
      });
      stream.on('error', finish);
      stream.on('end', finish);
      stream.write({
        create_request: {
          key: Buffer.from(this.spec.key),
          ...(this.spec.rangeEnd ? { range_end: Buffer.from(this.spec.rangeEnd, 'latin1') } : {}),
          start_revision: String(segment.startRevision),
          prev_kv: this.spec.prevKv,
        },
      });
      this.stopSegment = finish;
    });
  }

  private stopSegment: () => void = () => undefined;

  /** Keeps the stream alive: called by the scenario when the watch is known to be idle legitimately. */
  touch(): void {
    this.lastDataMs = Date.now();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSegment();
    await this.running;
  }
}
