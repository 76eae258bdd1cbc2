import { freePorts, redisPing, redisServerBinary, waitFor, type ProcessSet } from '@skyroad/testkit';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REDIS_CLUSTER_MASTERS = 3;

/** Starts a private three-master Redis Cluster on loopback; answers the URL of one node. */
export async function startRedisCluster(processes: ProcessSet): Promise<string> {
  const ports = await freePorts(REDIS_CLUSTER_MASTERS);
  await Promise.all(
    ports.map((port) => {
      const dir = processes.tempDir(`redis-cluster-${port}-`);
      return processes.spawn({
        name: `redis-cluster-${port}`,
        command: redisServerBinary(),
        args: [
          '--bind',
          '127.0.0.1',
          '--port',
          String(port),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `${dir}/nodes.conf`,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        ready: () =>
          redisPing(port).then(
            (reply) => reply === 'PONG',
            () => false,
          ),
      });
    }),
  );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  await waitFor(
    async () => {
      const infos = await Promise.all(
        ports.map((p) => run('redis-cli', ['-p', String(p), 'cluster', 'info']).then((r) => r.stdout)),
      );
      return infos.every((info) => info.includes('cluster_state:ok'));
    },
    { what: 'the Redis Cluster to be ok', timeoutMs: 20_000 },
  );
  return `redis://127.0.0.1:${ports[0]}`;
}
