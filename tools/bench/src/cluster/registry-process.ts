import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '@skyroad/ports';
import { httpGet, waitUntil } from './net';
import { startProcess, tempDir, type BenchProcess } from './processes';

const START_TIMEOUT_MS = 60_000;

export interface RegistryProcess {
  readonly url: string;
  readonly process: BenchProcess;
}

export function registryBin(): string {
  return (
    process.env['SKYROAD_BENCH_REGISTRY_BIN'] ??
    join(__dirname, '..', '..', '..', '..', 'apps', 'registry', 'bin', 'skyroad-registry.js')
  );
}

/** Why the registry cannot run, or null. */
export function registryUnavailableReason(): string | null {
  const bin = registryBin();
  if (!existsSync(bin)) return `${bin} not found`;
  const main = join(bin, '..', '..', 'dist', 'main.js');
  if (!existsSync(main))
    return `the registry is not built (${main} missing; run NX_DAEMON=false npx nx run registry:build)`;
  return null;
}

/** Starts skyroad-registry on the store endpoints with its own SQLite file; waits for /ready. */
export async function startRegistry(storeEndpoints: readonly string[]): Promise<RegistryProcess> {
  const [port] = await freePorts(1);
  const dir = tempDir('registry-');
  const child = startProcess({
    name: 'registry',
    command: process.execPath,
    args: [
      // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the registry spends its time
      ...(process.env['SKYROAD_BENCH_REGISTRY_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
      registryBin(),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--store-endpoints',
      storeEndpoints.join(','),
      '--database-url',
      `sqlite:${join(dir, 'r.sqlite')}`,
    ],
    env: { SKYROAD_LOG_LEVEL: 'info' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      'registry /ready',
      async () => {
        if (!child.running) throw new Error('exited');
        return (await httpGet(`${url}/ready`)).status === 200;
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    throw new Error(`the registry did not become ready: ${String(error)}\n${child.logTail()}`);
  }
  return { url, process: child };
}
