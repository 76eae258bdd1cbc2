import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctl, useProcessSet, waitFor } from '@skyroad/testkit';
import { STORE_BIN, startStoreCluster } from './support/store-cluster';

/*
 * Disaster recovery as in etcd: `etcdctl snapshot save` from a running cluster, then
 * `skyroad-store snapshot status` and `snapshot restore` (once per member) and a new cluster
 * started on the restored data dirs serves every key at the same revisions.
 */

const processes = useProcessSet();
const KEYS = 50;

async function snapshotCli(args: string[]) {
  const p = await processes.spawn({
    name: 'skyroad-store-snapshot',
    command: process.execPath,
    args: [STORE_BIN, 'snapshot', ...args],
  });
  const status = await p.exited;
  return { code: status.code, output: p.logTail() };
}

interface HashKv {
  Endpoint: string;
  HashKV: { hash: number; hash_revision: number };
}

it('restores a saved snapshot into a new 3-member cluster with the same keys, revisions and hash', async () => {
  const old = await startStoreCluster(processes, { size: 3, name: 'bkp' });
  for (let i = 0; i < KEYS; i++) await etcdctl(old.endpoints, ['put', `app/${i}`, `v${i}`]);
  await etcdctl(old.endpoints, ['put', 'app/0', 'v0-updated']);
  await etcdctl(old.endpoints, ['del', 'app/1']);
  const leaseId = /lease ([0-9a-f]+)/.exec(
    (await etcdctl(old.endpoints, ['lease', 'grant', '600'])).stdout,
  )![1];
  await etcdctl(old.endpoints, ['put', 'leased', 'x', `--lease=${leaseId}`]);
  const saved = JSON.parse((await etcdctl(old.endpoints, ['get', 'app/0', '-w', 'json'])).stdout);
  const revision: number = saved.header.revision;
  const modRevision: number = saved.kvs[0].mod_revision;
  const file = join(processes.tempDir('bkp-file-'), 'backup.db');
  await etcdctl([old.endpoints[0]], ['snapshot', 'save', file]);
  const oldHash = (
    JSON.parse((await etcdctl([old.endpoints[0]], ['endpoint', 'hashkv', '-w', 'json'])).stdout) as HashKv[]
  )[0].HashKV;
  for (const m of old.members) await m.process.stop();

  const status = await snapshotCli(['status', file, '-w', 'json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.output)).toMatchObject({ revision, totalKey: KEYS, hash: oldHash.hash });

  const dataDirs = [0, 1, 2].map((i) => join(processes.tempDir(`bkp-new-${i}-`), 'data'));
  for (const dir of dataDirs) {
    const restored = await snapshotCli(['restore', file, '--data-dir', dir]);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.output).toContain(`(revision ${revision})`);
  }

  const fresh = await startStoreCluster(processes, { size: 3, name: 'rst', dataDirs });
  const got = JSON.parse((await etcdctl(fresh.endpoints, ['get', 'app/0', '-w', 'json'])).stdout);
  expect(got.kvs[0].mod_revision).toBe(modRevision);
  expect(got.header.revision).toBe(revision);
  expect(Buffer.from(got.kvs[0].value, 'base64').toString()).toBe('v0-updated');
  const keys = (await etcdctl(fresh.endpoints, ['get', 'app/', '--prefix', '--keys-only'])).stdout;
  expect(keys.split('\n').filter(Boolean)).toHaveLength(KEYS - 1);
  expect(keys).not.toContain('app/1\n');
  // The new cluster goes on from the saved revision, and every member holds the same key space.
  await etcdctl(fresh.endpoints, ['put', 'after', 'restore']);
  const after = JSON.parse((await etcdctl(fresh.endpoints, ['get', 'after', '-w', 'json'])).stdout);
  expect(after.kvs[0].mod_revision).toBe(revision + 1);
  const hashes = JSON.parse(
    (await etcdctl(fresh.endpoints, ['endpoint', 'hashkv', '--rev', String(revision), '-w', 'json'])).stdout,
  ) as HashKv[];
  expect(hashes.map((h) => h.HashKV.hash)).toEqual([oldHash.hash, oldHash.hash, oldHash.hash]);
  // Leases come across with their keys (their TTLs start again on the new leader, as in etcd).
  const lease = (await etcdctl(fresh.endpoints, ['lease', 'timetolive', leaseId, '--keys'])).stdout;
  expect(lease).toMatch(/granted with TTL\(600s\)/);
  expect(lease).toContain('attached keys([leased])');
  // The member list is the new cluster's (names appear once each member has published them).
  const members = () => etcdctl(fresh.endpoints, ['member', 'list']).then((r) => r.stdout);
  await waitFor(
    async () => {
      const list = await members();
      return ['rst-1', 'rst-2', 'rst-3'].every((name) => list.includes(name));
    },
    { what: 'the restored members published' },
  );
  expect((await members()).split('\n').filter(Boolean)).toHaveLength(3);
  expect(await members()).not.toContain('bkp-');
}, 180_000);

it('refuses a damaged file, a non-empty data dir and a bad command line, changing nothing', async () => {
  const dir = processes.tempDir('bkp-bad-');
  const damaged = join(dir, 'damaged.db');
  writeFileSync(damaged, Buffer.alloc(64 * 1024, 7));
  const target = join(dir, 'target');
  const refused = await snapshotCli(['restore', damaged, '--data-dir', target]);
  expect(refused.code).toBe(1);
  expect(refused.output).toContain('snapshot file integrity check failed');
  expect(existsSync(target)).toBe(false);

  const forced = await snapshotCli(['restore', damaged, '--data-dir', target, '--skip-hash-check']);
  expect(forced.code).toBe(1);
  expect(forced.output).toContain('not a skyroad-store snapshot');
  expect(existsSync(target)).toBe(false);

  writeFileSync(join(dir, 'keep'), 'x');
  const notEmpty = await snapshotCli(['restore', damaged, '--data-dir', dir]);
  expect(notEmpty.code).toBe(1);
  expect(notEmpty.output).toContain('exists and is not empty');
  expect(readFileSync(join(dir, 'keep'), 'utf8')).toBe('x');

  expect((await snapshotCli(['restore', damaged])).output).toContain('restore needs --data-dir');
  expect((await snapshotCli(['status', damaged, '-w', 'yaml'])).code).toBe(2);
  expect((await snapshotCli(['verify', damaged])).output).toContain('unknown action "verify"');
});
