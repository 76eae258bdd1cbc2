import { httpOk, startEtcdCluster, type ProcessSet } from '@skyroad/testkit';
import { freePorts } from '@skyroad/testkit';
import { join } from 'node:path';
import { restartEtcdMember } from './etcd-restart';

/**
 * The store the registry suites run on, chosen by SKYROAD_TEST_REGISTRY_STORE:
 *   etcd (default)  a real etcd (Debian's etcd-server), one member per test file
 *   skyroad-store   our own store: `node apps/store/bin/skyroad-store.js` with etcd's flags
 *   external        an already running store at SKYROAD_TEST_REGISTRY_STORE_ENDPOINTS
 * The suites speak to it only through the registry, so the same tests prove both stores.
 */
export interface TestStore {
  endpoints: string[];
  /** Kills the store (SIGKILL), when this suite started it; undefined for an external store. */
  kill?: () => Promise<void>;
  /** Starts a killed store again from its data, on the same ports (one-member stores only). */
  restart?: () => Promise<void>;
}

export async function startTestStore(processes: ProcessSet, name: string): Promise<TestStore> {
  const kind = process.env['SKYROAD_TEST_REGISTRY_STORE'] ?? 'etcd';
  if (kind === 'etcd') {
    const cluster = await startEtcdCluster(processes, { name });
    return {
      endpoints: cluster.endpoints,
      kill: async () => {
        await Promise.all(cluster.members.map((m) => m.process.kill('SIGKILL')));
      },
      restart: async () => {
        await restartEtcdMember(processes, cluster.members[0]);
      },
    };
  }
  if (kind === 'external') {
    const endpoints = (process.env['SKYROAD_TEST_REGISTRY_STORE_ENDPOINTS'] ?? '').split(',').filter(Boolean);
    if (endpoints.length === 0)
      throw new Error('SKYROAD_TEST_REGISTRY_STORE=external needs SKYROAD_TEST_REGISTRY_STORE_ENDPOINTS');
    return { endpoints };
  }
  if (kind === 'skyroad-store') {
    const [client, peer] = await freePorts(2);
    const clientUrl = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const dataDir = join(processes.tempDir(`${name}-store-`), 'data');
    const spawn = (suffix: string) =>
      processes.spawn({
        name: `${name}-store${suffix}`,
        command: process.execPath,
        args: [
          join(__dirname, '../../../store/bin/skyroad-store.js'),
          '--name',
          name,
          '--data-dir',
          dataDir,
          '--listen-client-urls',
          clientUrl,
          '--advertise-client-urls',
          clientUrl,
          '--listen-peer-urls',
          peerUrl,
          '--initial-advertise-peer-urls',
          peerUrl,
          '--initial-cluster',
          `${name}=${peerUrl}`,
          '--initial-cluster-state',
          'new',
        ],
        ready: () => httpOk(`${clientUrl}/health`),
      });
    let member = await spawn('');
    return {
      endpoints: [clientUrl],
      kill: async () => {
        await member.kill('SIGKILL');
      },
      restart: async () => {
        member = await spawn('-restarted');
      },
    };
  }
  throw new Error(`SKYROAD_TEST_REGISTRY_STORE: unknown store "${kind}" (etcd, skyroad-store, external)`);
}
