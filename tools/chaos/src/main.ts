#!/usr/bin/env node
import { FAULT_KINDS, type FaultKind } from './harness/faults';
import { runScenario } from './harness/scenario';
import type { StoreKind } from './harness/cluster';

const USAGE = `usage: node tools/chaos/dist/main.js --duration S --seed N [--fault KIND] [--store skyroad|etcd]
       [--members 3|5] [--snapshot-count N] [--verbose] [--keep]
  runs one fault-injection scenario on a fresh cluster (3 members by default) and checks its history
  --snapshot-count: members' --snapshot-count (default 300, so runs cross snapshots)
  --keep: keep data dirs and member logs; --verbose: print each fault and error counts
  --fault: ${FAULT_KINDS.join(', ')} (default: a seeded mix of all but disk-full and replace-member)
  --stale-reads / --tamper-watch drop|reorder: the deliberately broken client variants
prints "histories=H operations=O violations=V"; exits 1 when V > 0, 2 on bad flags`;

interface Flags {
  durationS: number;
  seed: number;
  fault?: FaultKind;
  store: StoreKind;
  verbose: boolean;
  keep: boolean;
  members: number;
  snapshotCount?: number;
  staleReads: boolean;
  tamperWatch?: 'drop' | 'reorder';
}

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = {
    durationS: 10,
    seed: 1,
    store: 'skyroad',
    verbose: false,
    keep: false,
    members: 3,
    staleReads: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--duration':
        flags.durationS = Number(value());
        if (!(flags.durationS > 0)) throw new Error('--duration must be a positive number of seconds');
        break;
      case '--seed':
        flags.seed = Number(value());
        if (!Number.isInteger(flags.seed)) throw new Error('--seed must be an integer');
        break;
      case '--fault': {
        const f = value();
        if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}`);
        flags.fault = f as FaultKind;
        break;
      }
      case '--store': {
        const s = value();
        if (s !== 'skyroad' && s !== 'etcd') throw new Error(`unknown store ${s}`);
        flags.store = s;
        break;
      }
      case '--stale-reads':
        flags.staleReads = true;
        break;
      case '--tamper-watch': {
        const t = value();
        if (t !== 'drop' && t !== 'reorder') throw new Error(`unknown tamper ${t}`);
        flags.tamperWatch = t;
        break;
      }
      case '--members':
        flags.members = Number(value());
        if (![1, 3, 5].includes(flags.members)) throw new Error('--members must be 1, 3 or 5');
        break;
      case '--snapshot-count':
        flags.snapshotCount = Number(value());
        if (!(flags.snapshotCount > 0)) throw new Error('--snapshot-count must be positive');
        break;
      case '--keep':
        flags.keep = true;
        break;
      case '--verbose':
        flags.verbose = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${arg}`);
    }
  }
  return flags;
}

const VIOLATIONS_PRINTED_MAX = 20;

async function main(): Promise<void> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const log = (line: string): void => {
    if (flags.verbose) process.stderr.write(`${line}\n`);
  };
  const result = await runScenario({
    store: flags.store,
    seed: flags.seed,
    durationS: flags.durationS,
    log,
    staleReads: flags.staleReads,
    keepDir: flags.keep,
    size: flags.members,
    ...(flags.snapshotCount ? { snapshotCount: flags.snapshotCount } : {}),
    ...(flags.fault ? { fault: flags.fault } : {}),
    ...(flags.tamperWatch ? { tamperWatch: flags.tamperWatch } : {}),
  });
  process.stdout.write(
    `store=${result.store} seed=${flags.seed} fault=${flags.fault ?? 'mixed'} faults=${result.faults.length} ` +
      `outcomes=${JSON.stringify(result.outcomes)} watch-responses=${result.watchResponses} inconclusive=${result.inconclusive}\n`,
  );
  if (flags.verbose)
    for (const [e, n] of Object.entries(result.errors)) process.stderr.write(`error x${n}: ${e}\n`);
  for (const v of result.violations.slice(0, VIOLATIONS_PRINTED_MAX))
    process.stdout.write(`violation [${v.checker}] ${v.message}\n`);
  if (result.violations.length > VIOLATIONS_PRINTED_MAX)
    process.stdout.write(`... ${result.violations.length - VIOLATIONS_PRINTED_MAX} more violations\n`);
  process.stdout.write(
    `histories=${result.histories} operations=${result.operations} violations=${result.violations.length}\n`,
  );
  process.exitCode = result.violations.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(3);
  });
}
