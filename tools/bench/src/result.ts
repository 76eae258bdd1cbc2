/**
 * The shape of one suite's result: rows that put the competitor and Skyroad side by side,
 * measured in the same run on the same machine, with the ratio computed from both sides.
 */
/** 'verdict': a pass/fail row, shown side by side without a ratio. */
export type Better = 'higher' | 'lower' | 'verdict';

/** One side of a row: a measured value, or null with the reason it could not be measured. */
export interface Side {
  readonly name: string;
  readonly value: number | null;
  readonly note?: string;
  /** When `value` is the mean of several runs of the measurement: each run's value, in order. */
  readonly runs?: readonly number[];
}

/** A bound a value should meet, e.g. Skyroad's picks/s >= 1,000,000, or the ratio >= 10. */
export interface Target {
  readonly on: 'skyroad' | 'ratio';
  readonly op: '>=' | '<=';
  readonly value: number;
}

export interface ResultRow {
  readonly metric: string;
  readonly unit: string;
  /** Which way is better for this metric; the ratio is oriented so that > 1 favours Skyroad. */
  readonly better: Better;
  readonly competitor: Side;
  readonly skyroad: Side;
  /** Skyroad's advantage: skyroad/competitor when higher is better, competitor/skyroad when lower. */
  readonly ratio: number | null;
  readonly target?: Target;
  /** Whether the target is met; null when there is no target or a side is missing. */
  readonly targetMet: boolean | null;
}

export interface RowInput {
  metric: string;
  unit: string;
  better: Better;
  competitor: Side;
  skyroad: Side;
  target?: Target;
}

export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly etcd: string | null;
  readonly loadAverageAtStart: readonly number[];
}

export interface SuiteResult {
  readonly suite: string;
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly command: string;
  readonly machine: MachineDescription;
  /** What the competitor column is (e.g. "etcd 3.4.23 x3", "baseline pick (before issue 10)"). */
  readonly competitor: string;
  readonly skyroad: string;
  readonly rows: readonly ResultRow[];
  readonly notes: readonly string[];
}

export function ratioOf(better: Better, competitor: number | null, skyroad: number | null): number | null {
  if (better === 'verdict') return null;
  if (competitor === null || skyroad === null || !Number.isFinite(competitor) || !Number.isFinite(skyroad))
    return null;
  if (better === 'higher') return competitor > 0 ? skyroad / competitor : null;
  return skyroad > 0 ? competitor / skyroad : null;
}

export function row(input: RowInput): ResultRow {
  const ratio = ratioOf(input.better, input.competitor.value, input.skyroad.value);
  let targetMet: boolean | null = null;
  if (input.target) {
    const subject = input.target.on === 'ratio' ? ratio : input.skyroad.value;
    if (subject !== null)
      targetMet = input.target.op === '>=' ? subject >= input.target.value : subject <= input.target.value;
  }
  return { ...input, ratio, targetMet };
}

/** A side that could not be measured, with the reason shown in the table. */
export function unavailable(name: string, note: string): Side {
  return { name, value: null, note };
}
