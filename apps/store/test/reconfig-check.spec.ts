import { etcdctl, freePorts, useProcessSet, waitFor } from '@skyroad/testkit';
import { startStoreCluster, type StoreCluster } from './support/store-cluster';

/*
 * etcd's strict reconfiguration check, through the real etcdctl: a membership change that
 * would leave fewer started voters than a quorum is refused with etcd's error, and changes
 * nothing. Here a voter is added but never started (as when a replacement is still starting);
 * removing a started member is then refused, removing the unstarted one is allowed.
 */

const processes = useProcessSet();
let cluster: StoreCluster;

/** The client URLs etcdctl may use: a removed member's leaves (it stops 1 s after its removal). */
let endpoints: string[];
const ctl = async (args: string[]) => (await etcdctl(endpoints, args)).stdout;
const memberIds = async () =>
  (await ctl(['member', 'list']))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(',')[0].trim());

beforeAll(async () => {
  cluster = await startStoreCluster(processes, { size: 3, name: 'reconf' });
  endpoints = cluster.endpoints;
  // A member counts as started once it has published its name and client URLs through Raft
  // (a little after /health answers); the checks below, and finding a member's URL, need that.
  await waitFor(
    async () => {
      const list = await ctl(['member', 'list']);
      return cluster.members.every((m) => list.includes(`${m.name}, ${m.peerUrl}, ${m.clientUrl}`));
    },
    { what: 'every member published' },
  );
});

describe('strict reconfiguration check', () => {
  it('refuses to remove a started voter while an added one has not started, and changes nothing', async () => {
    const [peerPort] = await freePorts(1);
    const added = await ctl(['member', 'add', 'never-started', `--peer-urls=http://127.0.0.1:${peerPort}`]);
    const newId = /Member\s+([0-9a-f]+) added to cluster/.exec(added)![1];
    // Followers, so that no step waits out an election: a proposal in flight to a leader that
    // is just removing itself is lost, and etcdctl does not retry a member change.
    const status = JSON.parse(await ctl(['endpoint', 'status', '-w', 'json'])) as {
      Status: { leader: number };
    }[];
    const leader = Number(status[0].Status.leader).toString(16);
    const [first, second] = (await memberIds()).filter((id) => id !== newId && id !== leader);
    // 4 voters, 3 started: removing one started member leaves 2 started of 3, a quorum.
    const firstClientUrl = (await ctl(['member', 'list']))
      .split('\n')
      .find((line) => line.startsWith(`${first},`))!
      .split(',')[4]
      .trim();
    expect(await ctl(['member', 'remove', first])).toMatch(/removed from cluster/);
    // A removed member answers for 1 s more (etcd's stopWithDelay), then closes: ask the others.
    endpoints = endpoints.filter((url) => url !== firstClientUrl);
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
    // etcdctl 3.4 asks for no barrier: a member lists what it applied; wait for the removal.
    await waitFor(async () => (await memberIds()).length === 2, { timeoutMs: 10_000, what: 'the removal' });
    await ctl(['put', 'after', 'ok']);
    expect(await ctl(['get', 'after', '--print-value-only'])).toBe('ok\n');
  });
});
