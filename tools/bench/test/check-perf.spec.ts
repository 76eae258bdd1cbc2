import { execFileSync } from 'node:child_process';
import { stopAllProcesses } from '../src/cluster/processes';
import { startStoreCluster } from '../src/cluster/store-cluster';
import { etcdctlBinary } from '../src/machine';
import { checkPerf } from '../src/suites/store/check-perf';

describe('checkPerf (the real etcdctl check perf on a real skyroad-store)', () => {
  afterAll(() => stopAllProcesses());

  it('says in one line why etcdctl gave no verdict, from what etcdctl printed', async () => {
    // With auth on and no user given, check perf's first request is refused and etcdctl stops.
    const cluster = await startStoreCluster('skyroad-store', { size: 1, name: 'check-perf-spec' });
    const etcdctl = (...args: string[]) =>
      execFileSync(etcdctlBinary(), [`--endpoints=${cluster.endpoints[0]}`, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
    etcdctl('user', 'add', 'root:secret');
    etcdctl('user', 'grant-role', 'root', 'root');
    etcdctl('auth', 'enable');

    const failure = await checkPerf(cluster.endpoints, 's').then(
      () => new Error('check perf gave a verdict without a user'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/^etcdctl check perf gave no verdict: exit 1: /);
    expect(failure.message).toContain('etcdserver: user name is empty');
    expect(failure.message).not.toContain('\n');
    expect(failure.message.length).toBeLessThanOrEqual(450);
  }, 60_000);
});
