import { etcdctl, freePorts, useProcessSet, waitFor } from '@skyroad/testkit';
import { spawnMember, startStoreCluster, type StoreCluster } from './support/store-cluster';

/*
 * Snapshots: with a small --snapshot-count the members snapshot and compact their logs, so a
 * member that was down while the cluster moved on catches up from the leader's snapshot.
 */

const processes = useProcessSet();
const SNAPSHOT_COUNT = 20;
const WRITES_WHILE_DOWN = 120;
let cluster: StoreCluster;

beforeAll(async () => {
  cluster = await startStoreCluster(processes, {
    size: 3,
    name: 'snapc',
    extraArgs: ['--snapshot-count', String(SNAPSHOT_COUNT)],
  });
}, 90_000);

it('brings a member that missed compacted entries up to date from a snapshot', async () => {
  const lagging = cluster.members[2];
  const others = cluster.endpoints.slice(0, 2);
  await etcdctl(cluster.endpoints, ['put', 'before', 'down']);
  await lagging.process.stop();
  for (let i = 0; i < WRITES_WHILE_DOWN; i++) await etcdctl(others, ['put', `snap/${i}`, String(i)]);
  // A lease and a deleted key must come across too.
  const leaseId = /lease ([0-9a-f]+)/.exec((await etcdctl(others, ['lease', 'grant', '300'])).stdout)![1];
  await etcdctl(others, ['put', 'with-lease', 'x', `--lease=${leaseId}`]);
  await etcdctl(others, ['del', 'snap/0']);

  lagging.process = await spawnMember(processes, `${lagging.name}-back`, lagging.args, lagging.clientUrl);
  const local = (args: string[]) => etcdctl([lagging.clientUrl], [...args, '--consistency=s']);
  // Serializable reads answer from this member's own state: wait until it caught up.
  for (let attempt = 0; ; attempt++) {
    const count = (await local(['get', 'snap/', '--prefix', '--keys-only'])).stdout
      .split('\n')
      .filter(Boolean).length;
    if (count === WRITES_WHILE_DOWN - 1) break;
    if (attempt > 100) throw new Error(`lagging member has ${count} keys`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect((await local(['get', 'snap/0'])).stdout).toBe('');
  expect((await local(['get', 'before', '--print-value-only'])).stdout).toBe('down\n');
  expect((await etcdctl([lagging.clientUrl], ['lease', 'timetolive', leaseId, '--keys'])).stdout).toContain(
    'attached keys([with-lease])',
  );
  const log = lagging.process.logTail();
  expect(log).toContain('restored snapshot from leader');
  const hashes = new Set<string>();
  for (const endpoint of cluster.endpoints) {
    const out = await etcdctl([endpoint], ['endpoint', 'hashkv', '-w', 'json']);
    hashes.add(JSON.stringify(JSON.parse(out.stdout)[0].HashKV.hash));
  }
  expect(hashes.size).toBe(1);
}, 120_000);

it('applies membership changes on the member that caught up from a snapshot', async () => {
  // The member restored from the leader's snapshot above. Its member list must follow later
  // changes: a stale one listed removed members, and a replacement joining through it took
  // the id of the member it replaced (and then applied that member's removal and stopped).
  const caughtUp = cluster.members[2];
  const [peerPort] = await freePorts(1);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  expect(caughtUp.process.logTail()).toContain('restored snapshot from leader');
  // etcdctl 3.4 asks for no barrier: the member answers from what it applied itself.
  const listedBy = (endpoint: string, present: boolean) =>
    waitFor(
      async () => (await etcdctl([endpoint], ['member', 'list'])).stdout.includes(peerUrl) === present,
      { timeoutMs: 10_000, what: `the learner ${present ? 'listed' : 'gone'} at ${endpoint}` },
    );
  const added = (
    await etcdctl(cluster.endpoints, ['member', 'add', 'learner', `--peer-urls=${peerUrl}`, '--learner'])
  ).stdout;
  const learnerId = /Member\s+([0-9a-f]+) added to cluster/.exec(added)![1];
  await listedBy(caughtUp.clientUrl, true);
  await etcdctl(cluster.endpoints, ['member', 'remove', learnerId]);
  await listedBy(caughtUp.clientUrl, false);
}, 60_000);

it('restarts the whole cluster after kill -9 from snapshots and WAL, losing no acknowledged write', async () => {
  const acknowledged: string[] = [];
  for (let i = 0; i < SNAPSHOT_COUNT * 3; i++) {
    await etcdctl(cluster.endpoints, ['put', `crash/${i}`, String(i)]);
    acknowledged.push(`crash/${i}`);
  }
  await Promise.all(cluster.members.map((m) => m.process.kill('SIGKILL')));
  // Started together: none can elect a leader alone.
  await Promise.all(
    cluster.members.map(async (m) => {
      m.process = await spawnMember(processes, `${m.name}-after-crash`, m.args, m.clientUrl);
    }),
  );
  for (const endpoint of cluster.endpoints) {
    // Right after a whole-cluster restart an election may still be settling: a read that times
    // out is retried (as clients do); a read that answers must hold every acknowledged key.
    const out = await waitFor(() => etcdctl([endpoint], ['get', 'crash/', '--prefix', '--keys-only']), {
      timeoutMs: 20_000,
      what: `a read from ${endpoint}`,
    });
    expect(new Set(out.stdout.split('\n').filter(Boolean))).toEqual(new Set(acknowledged));
  }
  // Each member publishes its name and client URLs through Raft after it starts (as etcd does),
  // so the list is complete once the restarted members have published again.
  const expected = cluster.members.map((m) => `${m.name}, ${m.peerUrl}, ${m.clientUrl}`);
  const list = await waitFor(
    async () => {
      const out = (await etcdctl(cluster.endpoints, ['member', 'list'])).stdout;
      return expected.every((line) => out.includes(line)) ? out : undefined;
    },
    { timeoutMs: 20_000, what: 'every member published after the restart' },
  );
  for (const line of expected) expect(list).toContain(line);
}, 120_000);
