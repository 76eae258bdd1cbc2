import { etcdctl, freePorts, useProcessSet } from '@skyroad/testkit';
import { startStoreCluster, type StoreCluster } from './support/store-cluster';

/*
 * etcd's strict reconfiguration check, through the real etcdctl: a membership change that
 * would leave fewer started voters than a quorum is refused with etcd's error, and changes
 * nothing. Here a voter is added but never started (as when a replacement is still starting);
 * removing a started member is then refused, removing the unstarted one is allowed.
 */

const processes = useProcessSet();
let cluster: StoreCluster;

const ctl = async (args: string[]) => (await etcdctl(cluster.endpoints, args)).stdout;
const memberIds = async () =>
  (await ctl(['member', 'list']))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',')[0].trim());

beforeAll(async () => {
  cluster = await startStoreCluster(processes, { size: 3, name: 'reconf' });
});

describe('strict reconfiguration check', () => {
  it('refuses to remove a started voter while an added one has not started, and changes nothing', async () => {
    const [peerPort] = await freePorts(1);
    const added = await ctl(['member', 'add', 'never-started', `--peer-urls=http://127.0.0.1:${peerPort}`]);
    const newId = /Member\s+([0-9a-f]+) added to cluster/.exec(added)![1];
    const [first, second] = (await memberIds()).filter((id) => id !== newId);
    // 4 voters, 3 started: removing one started member leaves 2 started of 3, a quorum.
    expect(await ctl(['member', 'remove', first])).toMatch(/removed from cluster/);
    // Removing another would leave 1 started of 2: refused, as etcd does.
    await expect(ctl(['member', 'remove', second])).rejects.toThrow(
      /re-configuration failed due to not enough started members/,
    );
    expect(await memberIds()).toContain(second);
    // Adding a voter now would need 2 started of 4: refused too.
    const [otherPort] = await freePorts(1);
    await expect(
      ctl(['member', 'add', 'another', `--peer-urls=http://127.0.0.1:${otherPort}`]),
    ).rejects.toThrow(/not enough started members/);
    // The member that never started may go; the cluster still takes writes.
    expect(await ctl(['member', 'remove', newId])).toMatch(/removed from cluster/);
    expect(await memberIds()).toHaveLength(2);
    await ctl(['put', 'after', 'ok']);
    expect(await ctl(['get', 'after', '--print-value-only'])).toBe('ok\n');
  });
});
