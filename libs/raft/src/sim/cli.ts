#!/usr/bin/env node
/*
 * Seeded Raft simulator:
 *   node libs/raft/dist/sim/cli.js --seeds N --start S [--trace] [--mutant vote-twice|commit-old-term]
 * Prints one summary line `seeds=N violations=V`, plus a reproducible seed per failure, and
 * exits non-zero when V > 0. Output depends only on the arguments.
 */
import { isMutantName, MUTANTS, MutantName } from './mutants';
import { runSeeds } from './simulator';

interface CliArgs {
  seeds: number;
  start: number;
  trace: boolean;
  mutant?: MutantName;
}

const USAGE = `usage: cli.js --seeds N --start S [--trace] [--mutant ${MUTANTS.join('|')}]`;

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { seeds: 100, start: 1, trace: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--seeds':
        args.seeds = parseCount(a, value());
        break;
      case '--start':
        args.start = parseCount(a, value());
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--mutant': {
        const m = value();
        if (!isMutantName(m)) throw new Error(`unknown mutant ${m}`);
        args.mutant = m;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return args;
}

function parseCount(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got ${v}`);
  return n;
}

function main(): number {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const trace = args.trace ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
  const summary = runSeeds({ start: args.start, count: args.seeds, mutant: args.mutant, trace });
  for (const f of summary.failures) {
    const v = f.violations[0];
    process.stdout.write(
      `FAIL seed=${f.seed} ${v.invariant} at step ${v.step}: ${v.detail} ` +
        `(reproduce: --seeds 1 --start ${f.seed} --trace${args.mutant ? ` --mutant ${args.mutant}` : ''})\n`,
    );
  }
  const violations = summary.failures.length;
  process.stdout.write(
    `seeds=${summary.seeds} violations=${violations}${args.mutant ? ` mutant=${args.mutant}` : ''}\n`,
  );
  return violations > 0 ? 1 : 0;
}

process.exitCode = main();
