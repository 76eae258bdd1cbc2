import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readInstances, readPolicyRecord } from '../registry/wire.ts';
import type { ServiceSnapshot } from './service-cache.ts';

/**
 * The last known state of each service on disk, used when the registry cannot be reached at
 * start or later. One JSON file per namespace and service, replaced atomically (write, rename).
 */
export class FailoverFile {
  constructor(
    private readonly dir: string,
    private readonly namespace: string,
  ) {}

  path(service: string): string {
    return join(this.dir, `${this.namespace}@@${service}.json`);
  }

  async save(service: string, snapshot: ServiceSnapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.path(service);
    const temp = `${file}.${process.pid}.tmp`;
    const body = { savedAt: new Date().toISOString(), ...snapshot };
    await writeFile(temp, JSON.stringify(body));
    await rename(temp, file);
  }

  /** The saved snapshot, or undefined when there is none (or it cannot be read). */
  async load(service: string): Promise<ServiceSnapshot | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(service), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const body = JSON.parse(text) as { revision?: unknown; instances?: unknown; policy?: unknown };
      const policy = readPolicyRecord(body.policy);
      return {
        revision: typeof body.revision === 'number' ? body.revision : 0,
        instances: readInstances(body.instances),
        policy: policy.record ?? null,
      };
    } catch {
      return undefined;
    }
  }
}
