import { DEFAULT_CONFIG, type RegistryConfig } from '@skyroad/registry-core';
import { freePort, startEtcdCluster, useProcessSet, type EtcdCluster } from '@skyroad/testkit';
import { join } from 'node:path';
import { startRegistry, type RunningRegistry } from '../src/registry-app';
import { call } from './support/http';

/*
 * GET /v1/cluster against a real 3-member etcd cluster (the primary) and a standby that is down:
 * the facts of the one, "reachable: false" and the error for the other, quickly and never a 500.
 */
describe('GET /v1/cluster: the store clusters the registry uses', () => {
  let registry: RunningRegistry;
  // Declared before the process set, so it runs first: the registry stops before its store.
  afterAll(async () => {
    await registry?.close();
  });
  const processes = useProcessSet();
  let etcd: EtcdCluster;
  let downEndpoint: string;

  beforeAll(async () => {
    etcd = await startEtcdCluster(processes, { size: 3, name: 'regcluster' });
    // Nothing listens there: a standby cluster that is down.
    downEndpoint = `http://127.0.0.1:${await freePort()}`;
    const config: RegistryConfig = {
      ...DEFAULT_CONFIG,
      port: 0,
      storeEndpoints: etcd.endpoints,
      standbyStoreEndpoints: [downEndpoint],
      databaseUrl: `sqlite:${join(processes.tempDir('regcluster-db-'), 'r.sqlite')}`,
    };
    registry = await startRegistry(config, { logLevel: 'silent' });
  }, 60_000);

  it('reports members, leader, raft term and index, db size, revision and version of the primary', async () => {
    const put = await call('POST', `${registry.url}/v1/namespaces/default/services/cl/instances`, {
      host: '10.9.0.1',
      port: 80,
    });
    expect(put.status).toBe(201);
    const answer = await call('GET', `${registry.url}/v1/cluster`);
    expect(answer.status).toBe(200);
    const primary = answer.body.primary;
    expect(primary).toMatchObject({ role: 'primary', endpoints: etcd.endpoints, reachable: true });
    expect(primary.error).toBeUndefined();
    expect(primary.members).toHaveLength(3);
    expect(primary.members.map((m: { name: string }) => m.name)).toEqual([
      'regcluster-1',
      'regcluster-2',
      'regcluster-3',
    ]);
    for (const member of primary.members) {
      expect(member.id).toMatch(/^[0-9a-f]+$/);
      expect(member.isLearner).toBe(false);
      expect(member.peerURLs).toHaveLength(1);
      expect(etcd.endpoints).toContain(member.clientURLs[0]);
    }
    const leaders = primary.members.filter((m: { isLeader: boolean }) => m.isLeader);
    expect(leaders).toHaveLength(1);
    expect(primary.leaderId).toBe(leaders[0].id);
    expect(primary.raftTerm).toBeGreaterThanOrEqual(1);
    expect(primary.raftIndex).toBeGreaterThan(0);
    expect(primary.dbSize).toBeGreaterThan(0);
    expect(primary.revision).toBeGreaterThanOrEqual(put.body.revision);
    expect(primary.version).toMatch(/^\d+\.\d+/);
    // Every configured endpoint answers for itself, and all agree on the leader.
    expect(primary.endpointStatus).toHaveLength(3);
    for (const status of primary.endpointStatus) {
      expect(status).toMatchObject({ reachable: true, leaderId: primary.leaderId });
      expect(status.memberId).toMatch(/^[0-9a-f]+$/);
    }
  });

  it('says the standby is unreachable, with the error, within a short timeout', async () => {
    const started = Date.now();
    const answer = await call('GET', `${registry.url}/v1/cluster`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.status).toBe(200);
    expect(answer.body.standby).toMatchObject({
      role: 'standby',
      endpoints: [downEndpoint],
      reachable: false,
      members: [],
    });
    expect(typeof answer.body.standby.error).toBe('string');
    expect(answer.body.standby.endpointStatus).toEqual([
      expect.objectContaining({ endpoint: downEndpoint, reachable: false, error: expect.any(String) }),
    ]);
    expect(answer.body.primary.reachable).toBe(true);
  });

  it('exposes healthy instances as a metric next to all instances', async () => {
    const metrics = await fetch(`${registry.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^skyroad_registry_healthy_instances 1$/m);
    expect(metrics).toMatch(/^skyroad_registry_instances 1$/m);
  });

  it('answers 200 with reachable: false when the primary cluster goes down', async () => {
    await Promise.all(etcd.members.map((m) => m.process.kill('SIGKILL')));
    const started = Date.now();
    const answer = await call('GET', `${registry.url}/v1/cluster`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.status).toBe(200);
    expect(answer.body.primary).toMatchObject({ reachable: false, members: [] });
    expect(answer.body.primary.error).toEqual(expect.any(String));
    expect(answer.body.primary.endpointStatus.every((s: { reachable: boolean }) => !s.reachable)).toBe(true);
  });
});
