import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SKYROAD_STORE_BIN } from '../src/harness/cluster';
import type { StoreKind } from '../src/harness/cluster';
import type { ScenarioResult } from '../src/harness/scenario';

/** skyroad-store when it is built (nx builds it before this project's tests); etcd otherwise, said loudly. */
export function scenarioStore(): StoreKind {
  const built =
    existsSync(SKYROAD_STORE_BIN) && existsSync(join(SKYROAD_STORE_BIN, '..', '..', 'dist', 'main.js'));
  if (!built) process.stderr.write(`chaos: ${SKYROAD_STORE_BIN} is not built; scenarios run on etcd\n`);
  return built ? 'skyroad' : 'etcd';
}

export function summary(r: ScenarioResult): string {
  return `${r.store}: ${r.operations} ops ${JSON.stringify(r.outcomes)}, faults [${r.faults.join('; ')}], violations:\n${r.violations
    .slice(0, 10)
    .map((v) => `  [${v.checker}] ${v.message.slice(0, 600)}`)
    .join('\n')}`;
}
