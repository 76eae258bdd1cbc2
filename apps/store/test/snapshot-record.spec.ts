import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, freePorts, useProcessSet, waitFor } from '@skyroad/testkit';
import { memberArgs, spawnMember, startStoreCluster, type StoreCluster } from './support/store-cluster';

/*
 * The snapshot that compacts the log is metadata only (etcd's design): the backend on disk is
 * the state. With a small --snapshot-count the members take several snapshots; then a member
 * killed with -9 restarts from its backend and WAL with every acknowledged key, a new member
 * is caught up by a snapshot of the leader's backend (sent, not stored), and the snapshot
 * records on disk stay small however much data there is.
 */

const processes = useProcessSet();
const SNAPSHOT_COUNT = 50;
const WRITES = SNAPSHOT_COUNT * 6;
/** Far more than a metadata record (index, term, conf state); far less than the data written. */
const MAX_RECORD_BYTES = 4096;
const VALUE = 'v'.repeat(1000);
let cluster: StoreCluster;
const acknowledged: string[] = [];

const ctl = async (endpoints: string[], args: string[]) => (await etcdctl(endpoints, args)).stdout;

async function keysAt(endpoint: string): Promise<Set<string>> {
  const out = await ctl([endpoint], ['get', 'rec/', '--prefix', '--keys-only', '--consistency=s']);
  return new Set(out.split('\n').filter(Boolean));
}

function snapRecords(dataDir: string): { name: string; bytes: number }[] {
  const dir = join(dataDir, 'snap');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.snap'))
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

beforeAll(async () => {
  cluster = await startStoreCluster(processes, {
    size: 3,
    name: 'snaprec',
    extraArgs: ['--snapshot-count', String(SNAPSHOT_COUNT)],
  });
  for (let i = 0; i < WRITES; i++) {
    await etcdctl(cluster.endpoints, ['put', `rec/${i}`, VALUE]);
    acknowledged.push(`rec/${i}`);
  }
}, 180_000);

it('keeps snapshot records small: they hold no database', () => {
  for (const member of cluster.members) {
    const records = snapRecords(member.dataDir);
    // Several snapshots were taken (the one at index 0 plus at least two more).
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const record of records) expect(record.bytes).toBeLessThan(MAX_RECORD_BYTES);
  }
});

it('restarts a member killed with -9 from its data dir with every acknowledged key', async () => {
  const victim = cluster.members[1];
  await victim.process.kill('SIGKILL');
  victim.process = await spawnMember(processes, `${victim.name}-after-kill`, victim.args, victim.clientUrl);
  const keys = await waitFor(
    async () => {
      const got = await keysAt(victim.clientUrl);
      return got.size >= acknowledged.length ? got : undefined;
    },
    { timeoutMs: 30_000, what: 'the restarted member has every key' },
  );
  expect(keys).toEqual(new Set(acknowledged));
}, 60_000);

it('catches a new member up by a snapshot of the leader backend', async () => {
  const [clientPort, peerPort] = await freePorts(2);
  const name = 'snaprec-4';
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  await ctl(cluster.endpoints, ['member', 'add', name, `--peer-urls=${peerUrl}`]);
  const dataDir = join(processes.tempDir('snaprec-4-'), 'data');
  const args = [
    ...memberArgs({
      name,
      clientUrl,
      peerUrl,
      dataDir,
      initialCluster: `${cluster.initialCluster},${name}=${peerUrl}`,
      token: cluster.token,
      state: 'existing',
    }),
    '--snapshot-count',
    String(SNAPSHOT_COUNT),
  ];
  const fourth = await spawnMember(processes, name, args, clientUrl);
  const keys = await waitFor(
    async () => {
      const got = await keysAt(clientUrl);
      return got.size >= acknowledged.length ? got : undefined;
    },
    { timeoutMs: 30_000, what: 'the new member has every key' },
  );
  expect(keys).toEqual(new Set(acknowledged));
  // The log it needed was compacted away on the others: it came by snapshot.
  expect(fourth.logTail()).toContain('restored snapshot from leader');
  // It serves linearizable reads and takes writes as a voter.
  await ctl([clientUrl], ['put', 'rec/via-fourth', 'ok']);
  acknowledged.push('rec/via-fourth');
  expect(await ctl([clientUrl], ['get', 'rec/0', '--print-value-only'])).toBe(`${VALUE}\n`);
  const endpoints = [...cluster.endpoints, clientUrl];
  const hashes = await waitFor(
    async () => {
      const all = new Set<string>();
      for (const endpoint of endpoints) {
        const out = await ctl([endpoint], ['endpoint', 'hashkv', '-w', 'json']);
        all.add(JSON.stringify(JSON.parse(out)[0].HashKV.hash));
      }
      return all.size === 1 ? all : undefined;
    },
    { timeoutMs: 20_000, what: 'every member has the same data' },
  );
  expect(hashes.size).toBe(1);
  // Its own snapshot record, written when it installed the leader's, holds no data either.
  for (const record of snapRecords(dataDir)) expect(record.bytes).toBeLessThan(MAX_RECORD_BYTES);
}, 90_000);
