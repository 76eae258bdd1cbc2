import { etcdctl, startEtcdCluster, useProcessSet, waitFor } from '../src';

describe('startEtcdCluster (real etcd)', () => {
  const processes = useProcessSet();

  it('starts a 3-member cluster with a leader that etcdctl can write to and read from', async () => {
    const cluster = await startEtcdCluster(processes, { size: 3, name: 'tk3' });
    expect(cluster.endpoints).toHaveLength(3);
    const { stdout: members } = await etcdctl(cluster.endpoints, ['member', 'list', '-w', 'json']);
    expect(JSON.parse(members).members).toHaveLength(3);

    await etcdctl([cluster.endpoints[0]], ['put', '/testkit/hello', 'world']);
    // Read from another member: the write was replicated.
    const { stdout } = await etcdctl([cluster.endpoints[2]], ['get', '/testkit/hello', '--print-value-only']);
    expect(stdout.trim()).toBe('world');
  });

  it('survives SIGKILL of one member and keeps serving from the others', async () => {
    const cluster = await startEtcdCluster(processes, { size: 3, name: 'tkkill' });
    await etcdctl(cluster.endpoints, ['put', 'k', 'v1']);
    await cluster.members[0].process.kill('SIGKILL');
    const rest = cluster.endpoints.slice(1);
    // Killing the leader costs an election; a client retries until the survivors elect one.
    await waitFor(() => etcdctl(rest, ['--command-timeout=2s', 'put', 'k', 'v2']), {
      what: 'a write after the kill',
      timeoutMs: 20_000,
    });
    const { stdout } = await etcdctl(rest, ['get', 'k', '--print-value-only']);
    expect(stdout.trim()).toBe('v2');
  });

  it('surfaces etcdctl errors with their message', async () => {
    const cluster = await startEtcdCluster(processes, { name: 'tkerr' });
    await expect(etcdctl(cluster.endpoints, ['lease', 'revoke', '1234abcd'])).rejects.toThrow(
      /lease not found/,
    );
  });
});
