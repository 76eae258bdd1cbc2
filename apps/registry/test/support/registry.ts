import { DEFAULT_CONFIG, type RegistryConfig } from '@skyroad/registry-core';
import { startRegistry, type RunningRegistry } from '../../src/registry-app';

/** A registry in this test process, on a free port, quiet. */
export function startTestRegistry(storeEndpoints: string[], databaseUrl: string): Promise<RunningRegistry> {
  const config: RegistryConfig = { ...DEFAULT_CONFIG, port: 0, storeEndpoints, databaseUrl };
  return startRegistry(config, { logLevel: 'silent' });
}
