import { join } from 'node:path';
import { etcdctl, freePorts, useProcessSet, waitFor } from '@skyroad/testkit';
import { STORE_BIN, memberArgs, startStoreCluster } from './support/store-cluster';

/*
 * Members only talk within their own cluster: the cluster id (from the token and the initial
 * members) is checked when a peer connects, so a member configured for another cluster is
 * refused and changes nothing here.
 */

const processes = useProcessSet();

it('refuses a member of another cluster on the peer port', async () => {
  const home = await startStoreCluster(processes, { size: 1, name: 'home' });
  const [clientPort, peerPort] = await freePorts(2);
  const intruderPeer = `http://127.0.0.1:${peerPort}`;
  const intruder = await processes.spawn({
    name: 'intruder',
    command: process.execPath,
    args: [
      STORE_BIN,
      ...memberArgs({
        name: 'intruder',
        clientUrl: `http://127.0.0.1:${clientPort}`,
        peerUrl: intruderPeer,
        dataDir: join(processes.tempDir('intruder-'), 'data'),
        // Claims the home member as a peer, under another token: another cluster id.
        initialCluster: `${home.members[0].name}=${home.members[0].peerUrl},intruder=${intruderPeer}`,
        token: 'someone-else',
      }),
    ],
  });
  await waitFor(() => intruder.logTail().includes('cluster ID mismatch'), {
    what: 'refusal seen by the intruder',
  });
  expect((await etcdctl(home.endpoints, ['member', 'list'])).stdout.trim().split('\n')).toHaveLength(1);
  await etcdctl(home.endpoints, ['put', 'still', 'fine']);
  expect((await etcdctl(home.endpoints, ['get', 'still', '--print-value-only'])).stdout).toBe('fine\n');
}, 60_000);
