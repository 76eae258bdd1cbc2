import type { ResultRow } from './result';

export interface SuiteContext {
  readonly quick: boolean;
  /** Which stores store-backed suites run on (etcd is the competitor and always runs). */
  readonly stores: ReadonlyArray<'etcd' | 'skyroad-store'>;
  /** Whether the store suite runs `etcdctl check perf` (60 s per store). */
  readonly checkPerf: boolean;
  /**
   * `--only a,b`: the measurement groups to run (each suite names its own); null runs all.
   * A partial run is written under bench-results/ but never copied to latest/.
   */
  readonly only: ReadonlySet<string> | null;
  /** Progress lines (stderr), so stdout stays the table. */
  log(message: string): void;
}

export interface SuiteOutcome {
  readonly competitor: string;
  readonly skyroad: string;
  readonly rows: ResultRow[];
  readonly notes: string[];
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  run(ctx: SuiteContext): Promise<SuiteOutcome>;
}

/** A suite cannot run at all (e.g. the competitor's binary is missing): exit 2 with this message. */
export class SuiteUnavailableError extends Error {
  override readonly name = 'SuiteUnavailableError';
}
