import { Membership, type MemberRecord } from '../src/cluster/membership';

const member = (id: number, started: boolean, isLearner = false): MemberRecord => ({
  id,
  name: started ? `m${id}` : '',
  peerUrls: [`http://127.0.0.1:${20000 + id}`],
  clientUrls: [],
  isLearner,
});

const cluster = (...members: MemberRecord[]) => new Membership({ members, removed: [] });

describe("membership: etcd's strict reconfiguration check", () => {
  it('lets a one-member cluster grow to two, and a healthy cluster grow', () => {
    expect(cluster(member(1, true)).readyToAddVoter()).toBe(true);
    expect(cluster(member(1, true), member(2, true), member(3, true)).readyToAddVoter()).toBe(true);
  });

  it('refuses a voter while too few voters have started to keep a quorum after it', () => {
    // 2 started of 3 voters: a fourth voter needs 3 started.
    expect(cluster(member(1, true), member(2, true), member(3, false)).readyToAddVoter()).toBe(false);
    // A one-member cluster whose member has not started cannot grow.
    expect(cluster(member(1, false)).readyToAddVoter()).toBe(false);
    // Learners do not count as voters.
    expect(cluster(member(1, true), member(2, true), member(3, false, true)).readyToAddVoter()).toBe(true);
  });

  it('refuses to remove a started voter when the started voters left would not be a quorum', () => {
    // A replacement (3) is still starting: removing 2 would leave 1 started of 2.
    const replacing = cluster(member(1, true), member(2, true), member(3, false));
    expect(replacing.readyToRemoveVoter(2)).toBe(false);
    // Removing the member that has not started leaves 2 of 2.
    expect(replacing.readyToRemoveVoter(3)).toBe(true);
    // All started: any one may go.
    expect(cluster(member(1, true), member(2, true), member(3, true)).readyToRemoveVoter(1)).toBe(true);
  });
});
