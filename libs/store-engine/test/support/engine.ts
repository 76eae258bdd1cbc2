import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeRequest,
  ManualClock,
  StoreEngine,
  type ApplyResult,
  type InternalRequest,
  type StoreEngineOptions,
} from '../../src';

/** A StoreEngine in a fresh temp dir that applies requests at increasing raft indexes. */
export class TestEngine {
  engine: StoreEngine;
  index: number;
  readonly clock: ManualClock;

  constructor(
    readonly dir: string,
    private readonly options: Partial<StoreEngineOptions> = {},
  ) {
    this.clock = (options.clock as ManualClock | undefined) ?? new ManualClock(1_000_000);
    this.engine = this.open();
    this.index = this.engine.applier.consistentIndex;
  }

  static create(options: Partial<StoreEngineOptions> = {}): TestEngine {
    return new TestEngine(mkdtempSync(join(tmpdir(), 'store-engine-')), options);
  }

  /** Applies a request as the next committed entry (through the encoded form, as Raft would carry it). */
  apply(request: InternalRequest): ApplyResult {
    const data = encodeRequest(request);
    const result = this.engine.applier.applyEntry({ index: ++this.index, term: 1, data });
    if (!result) throw new Error(`entry ${this.index} was skipped`);
    return result;
  }

  /** Applies and returns the response, failing on a refusal. */
  ok<K extends InternalRequest['kind']>(request: InternalRequest & { kind: K }) {
    const result = this.apply(request);
    if (result.error) throw result.error;
    return result.response!;
  }

  async reopen(): Promise<void> {
    await this.engine.close();
    this.engine = this.open();
    this.index = this.engine.applier.consistentIndex;
  }

  async destroy(): Promise<void> {
    await this.engine.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private open(): StoreEngine {
    return StoreEngine.open({
      dataDir: this.dir,
      clock: this.clock,
      watch: { timers: false },
      ...this.options,
    });
  }
}

export const b = (s: string): Buffer => Buffer.from(s);
export const str = (buf: Uint8Array | undefined): string => Buffer.from(buf ?? []).toString();

/** A small deterministic PRNG (mulberry32): every random test prints its seed. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}
