import { etcdctl, useProcessSet, waitFor } from '@skyroad/testkit';
import { startStoreCluster } from './support/store-cluster';
import { errorMessage } from './support/outcome';

/*
 * The limits an operator sets with flags: the backend quota raises etcd's NOSPACE alarm and
 * refuses writes; periodic auto compaction drops history older than its retention.
 */

const processes = useProcessSet();
const QUOTA_BYTES = 256 * 1024;
const VALUE_BYTES = 64 * 1024;

it('refuses writes over --quota-backend-bytes and raises the NOSPACE alarm', async () => {
  const { endpoints } = await startStoreCluster(processes, {
    size: 1,
    name: 'quota',
    extraArgs: [`--quota-backend-bytes=${QUOTA_BYTES}`],
  });
  const value = 'q'.repeat(VALUE_BYTES);
  let refusal = '';
  for (let i = 0; i < 2 * (QUOTA_BYTES / VALUE_BYTES) && !refusal; i++) {
    refusal = await etcdctl(endpoints, ['put', `quota/${i}`], value).then(
      () => '',
      (error: Error) => error.message,
    );
  }
  expect(refusal).toContain('etcdserver: mvcc: database space exceeded');
  await waitFor(async () => (await etcdctl(endpoints, ['alarm', 'list'])).stdout.includes('alarm:NOSPACE'), {
    what: 'NOSPACE alarm',
  });
  // Reads still work; small writes are refused while the alarm is raised.
  expect((await etcdctl(endpoints, ['get', 'quota/0', '--keys-only'])).stdout).toBe('quota/0\n\n');
  const small = await errorMessage(etcdctl(endpoints, ['put', 'tiny', 't']));
  expect(small).toContain('database space exceeded');
}, 60_000);

it('compacts history older than --auto-compaction-retention', async () => {
  const { endpoints } = await startStoreCluster(processes, {
    size: 1,
    name: 'autocompact',
    extraArgs: ['--auto-compaction-mode=periodic', '--auto-compaction-retention=1s'],
  });
  const first = JSON.parse((await etcdctl(endpoints, ['put', 'ac', '1', '-w', 'json'])).stdout).header
    .revision;
  await etcdctl(endpoints, ['put', 'ac', '2']);
  await waitFor(
    async () =>
      etcdctl(endpoints, ['get', 'ac', `--rev=${first}`]).then(
        () => false,
        (error: Error) => error.message.includes('required revision has been compacted'),
      ),
    { timeoutMs: 20_000, what: 'auto compaction' },
  );
  expect((await etcdctl(endpoints, ['get', 'ac', '--print-value-only'])).stdout).toBe('2\n');
}, 60_000);
