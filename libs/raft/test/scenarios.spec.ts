/* Scenario tests over a small scripted cluster (deliver everything, cut links on demand). */
import {
  ConfChangeType,
  MemoryStorage,
  MessageType,
  ProposalDroppedError,
  RawNode,
  SeededRandom,
  StateRole,
  StepLocalMessageError,
} from '../src';
import { newMessage } from '../src/util';
import { bytes, TestCluster, text } from './cluster';

function electedCluster(ids: number[], opts: { preVote?: boolean; checkQuorum?: boolean } = {}): TestCluster {
  const c = new TestCluster(ids, opts);
  c.node(ids[0]).campaign();
  c.stabilize();
  expect(c.leader()).toBe(ids[0]);
  return c;
}

describe('proposals', () => {
  it('are dropped with ProposalDroppedError when there is no leader', () => {
    const c = new TestCluster([1, 2, 3]);
    expect(() => c.node(2).propose(bytes('x'))).toThrow(ProposalDroppedError);
    expect(() => c.node(2).readIndex(bytes('r'))).toThrow(ProposalDroppedError);
  });

  it('are forwarded by followers to the leader and applied everywhere, in order', () => {
    const c = electedCluster([1, 2, 3]);
    c.node(2).propose(bytes('a'));
    c.node(3).propose(bytes('b'));
    c.node(1).propose(bytes('c'));
    c.stabilize();
    const applied = [1, 2, 3].map((id) => c.applied.get(id)!.map(text));
    expect(applied[0]).toHaveLength(3);
    expect(applied[1]).toEqual(applied[0]);
    expect(applied[2]).toEqual(applied[0]);
  });

  it('batches proposals made before the next Ready into one MsgApp per follower', () => {
    const c = electedCluster([1, 2, 3]);
    const leader = c.node(1);
    for (const v of ['a', 'b', 'c']) leader.propose(bytes(v));
    const rd = leader.ready();
    expect(rd.entries.map((e) => text(e.data))).toEqual(['a', 'b', 'c']);
    const apps = rd.messages.filter((m) => m.type === MessageType.App);
    expect(apps).toHaveLength(2);
    expect(apps.every((m) => m.entries.length === 3)).toBe(true);
    leader.advance(rd);
  });
});

describe('persistence contract', () => {
  it('puts vote responses and acks after persisting, and a leader MsgApp before', () => {
    const c = new TestCluster([1, 2, 3]);
    c.node(1).campaign();
    const candidate = c.node(1).ready();
    // The candidate's vote requests wait until its new term and self-vote are durable.
    expect(candidate.messages).toEqual([]);
    expect(candidate.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.Vote, MessageType.Vote]);
    expect(candidate.hardState).toMatchObject({ term: 1, vote: 1 });
    expect(candidate.mustSync).toBe(true);
    c.node(1).advance(candidate);
    c.node(2).step(candidate.messagesAfterPersist[0]);
    const voter = c.node(2).ready();
    expect(voter.messages).toEqual([]);
    expect(voter.messagesAfterPersist[0]).toMatchObject({ type: MessageType.VoteResp, reject: false });
    expect(voter.hardState).toMatchObject({ term: 1, vote: 1 });
    c.node(2).advance(voter);
    c.node(1).step(voter.messagesAfterPersist[0]);
    const leader = c.node(1).ready();
    expect(leader.softState?.role).toBe(StateRole.Leader);
    expect(leader.messages.map((m) => m.type)).toEqual([MessageType.App, MessageType.App]);
    c.node(1).advance(leader);
  });

  it('refuses a second ready() before advance()', () => {
    const c = new TestCluster([1]);
    c.node(1).campaign();
    c.node(1).ready();
    expect(() => c.node(1).ready()).toThrow(/advance/);
  });

  it('restarts from storage with its term, vote, log and commit', () => {
    const c = electedCluster([1, 2, 3]);
    c.node(1).propose(bytes('x'));
    c.stabilize();
    const before = c.node(2).status();
    c.addNode(2, c.storages.get(2)!);
    const after = c.node(2).status();
    expect(after).toMatchObject({
      term: before.term,
      vote: before.vote,
      commit: before.commit,
      lastIndex: before.lastIndex,
    });
    expect(after.role).toBe(StateRole.Follower);
  });
});

describe('PreVote', () => {
  it('a partitioned node rejoining does not disrupt the leader or inflate the term', () => {
    const c = electedCluster([1, 2, 3], { preVote: true });
    const term = c.node(1).status().term;
    c.isolate(3);
    c.tickAll(50); // node 3 campaigns over and over, but only in PreVote
    expect(c.node(3).status().term).toBe(term);
    c.heal();
    c.tickAll(5);
    expect(c.leader()).toBe(1);
    expect(c.node(1).status().term).toBe(term);
  });

  it('without PreVote the same node forces a new election when it rejoins', () => {
    const c = electedCluster([1, 2, 3]);
    const term = c.node(1).status().term;
    c.isolate(3);
    c.tickAll(50);
    expect(c.node(3).status().term).toBeGreaterThan(term);
    c.heal();
    c.tickAll(30);
    expect(c.node(1).status().term).toBeGreaterThan(term);
  });
});

describe('CheckQuorum', () => {
  it('an isolated leader steps down after an election timeout, and the rest elect a new one', () => {
    const c = electedCluster([1, 2, 3], { checkQuorum: true });
    c.isolate(1);
    c.tickAll(25);
    expect(c.node(1).status().role).toBe(StateRole.Follower);
    const others = [2, 3].filter((id) => c.node(id).status().role === StateRole.Leader);
    expect(others).toHaveLength(1);
  });

  it('a leader with a quorum stays leader', () => {
    const c = electedCluster([1, 2, 3], { checkQuorum: true });
    c.isolate(3);
    c.tickAll(40);
    expect(c.node(1).status().role).toBe(StateRole.Leader);
  });
});

describe('snapshots', () => {
  it('a follower behind a compacted log catches up through MsgSnap', () => {
    const c = electedCluster([1, 2, 3]);
    c.isolate(3);
    for (let i = 0; i < 10; i++) c.node(1).propose(bytes(`v${i}`));
    c.stabilize();
    const leaderStorage = c.storages.get(1)!;
    const applied = c.node(1).status().applied;
    leaderStorage.createSnapshot(applied, c.node(1).status().config, bytes(`state@${applied}`));
    leaderStorage.compact(applied);
    c.heal();
    c.tickAll(3);
    const follower = c.storages.get(3)!;
    expect(follower.snapshot().metadata.index).toBe(applied);
    expect(text(follower.snapshot().data)).toBe(`state@${applied}`);
    c.node(1).propose(bytes('after'));
    c.stabilize();
    expect(c.applied.get(3)!.map(text)).toEqual(['after']);
    expect(c.node(3).status().applied).toBe(c.node(1).status().applied);
  });
});

describe('membership', () => {
  it('adds a learner, promotes it once caught up, and refuses a second change while one is pending', () => {
    const c = electedCluster([1, 2, 3]);
    c.addNode(4, MemoryStorage.bootstrap([1, 2, 3]));
    c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddLearnerNode, nodeId: 4 }] });
    expect(() =>
      c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddNode, nodeId: 4 }] }),
    ).toThrow(ProposalDroppedError);
    c.stabilize();
    expect(c.node(1).status().config.learners).toEqual([4]);
    const pr = c.node(1).status().progress.get(4)!;
    expect(pr.match).toBe(c.node(1).status().commit);
    c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddNode, nodeId: 4 }] });
    c.stabilize();
    expect(c.node(1).status().config.voters).toEqual([1, 2, 3, 4]);
    expect(c.node(4).status().config.voters).toEqual([1, 2, 3, 4]);
  });

  it('replaces a voter through a joint configuration that is left automatically', () => {
    const c = electedCluster([1, 2, 3]);
    c.addNode(4, MemoryStorage.bootstrap([1, 2, 3]));
    c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddLearnerNode, nodeId: 4 }] });
    c.stabilize();
    c.node(1).proposeConfChange({
      changes: [
        { type: ConfChangeType.AddNode, nodeId: 4 },
        { type: ConfChangeType.RemoveNode, nodeId: 3 },
      ],
    });
    // Process only until the joint config is applied by the leader.
    for (let i = 0; i < 50 && c.node(1).status().config.votersOutgoing.length === 0; i++) c.round();
    expect(c.node(1).status().config).toMatchObject({ voters: [1, 2, 4], votersOutgoing: [1, 2, 3] });
    c.stabilize();
    expect(c.node(1).status().config).toMatchObject({
      voters: [1, 2, 4],
      votersOutgoing: [],
      autoLeave: false,
    });
    c.isolate(3);
    c.node(1).propose(bytes('without 3'));
    c.stabilize();
    expect(c.applied.get(4)!.map(text)).toContain('without 3');
  });

  it('a learner receives the log but never campaigns or counts towards a quorum', () => {
    const c = electedCluster([1, 2]);
    c.addNode(3, MemoryStorage.bootstrap([1, 2]));
    c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.AddLearnerNode, nodeId: 3 }] });
    c.stabilize();
    c.node(1).propose(bytes('x'));
    c.stabilize();
    expect(c.applied.get(3)!.map(text)).toEqual(['x']);
    c.isolate(2);
    c.node(1).propose(bytes('needs 2'));
    c.tickAll(40);
    expect(c.applied.get(1)!.map(text)).toEqual(['x']); // 1 + learner 3 is not a quorum
    expect(c.node(3).status().term).toBe(c.node(1).status().term);
    expect(c.node(3).status().role).toBe(StateRole.Follower);
  });

  it('a removed leader steps down', () => {
    const c = electedCluster([1, 2, 3]);
    c.node(1).proposeConfChange({ changes: [{ type: ConfChangeType.RemoveNode, nodeId: 1 }] });
    c.stabilize();
    expect(c.node(1).status().role).toBe(StateRole.Follower);
    c.isolate(1);
    c.tickAll(30);
    expect([2, 3].map((id) => c.node(id).status().role)).toContain(StateRole.Leader);
  });
});

describe('leader transfer', () => {
  it('hands leadership to an up-to-date follower with MsgTimeoutNow', () => {
    const c = electedCluster([1, 2, 3], { checkQuorum: true, preVote: true });
    c.node(1).propose(bytes('x'));
    c.stabilize();
    const term = c.node(1).status().term;
    c.node(1).transferLeader(3);
    c.stabilize();
    expect(c.leader()).toBe(3);
    expect(c.node(3).status().term).toBe(term + 1);
  });

  it('catches a lagging transferee up first, and drops proposals meanwhile', () => {
    const c = electedCluster([1, 2, 3]);
    c.isolate(3);
    c.node(1).propose(bytes('x'));
    c.stabilize();
    c.node(1).transferLeader(3);
    expect(() => c.node(1).propose(bytes('y'))).toThrow(ProposalDroppedError);
    c.heal();
    c.tickAll(2);
    expect(c.leader()).toBe(3);
    expect(c.applied.get(3)!.map(text)).toEqual(['x']);
  });
});

describe('ReadIndex', () => {
  it('a leader answers only after a heartbeat round, with its commit index', () => {
    const c = electedCluster([1, 2, 3]);
    c.node(1).propose(bytes('x'));
    c.stabilize();
    const commit = c.node(1).status().commit;
    c.node(1).readIndex(bytes('read-1'));
    const rd = c.node(1).ready();
    expect(rd.readStates).toEqual([]); // not before leadership is confirmed
    expect(rd.messages.filter((m) => m.type === MessageType.Heartbeat)).toHaveLength(2);
    c.send(rd.messages);
    c.node(1).advance(rd);
    c.stabilize();
    expect(c.reads.get(1)!.get('read-1')).toBe(commit);
  });

  it('a follower forwards the request and gets the leader read index', () => {
    const c = electedCluster([1, 2, 3]);
    c.node(1).propose(bytes('x'));
    c.stabilize();
    c.node(2).readIndex(bytes('read-2'));
    c.stabilize();
    expect(c.reads.get(2)!.get('read-2')).toBe(c.node(1).status().commit);
  });

  it('an isolated leader cannot confirm a read; a reachable quorum can', () => {
    const c = electedCluster([1, 2, 3]);
    c.isolate(1);
    c.node(1).readIndex(bytes('stale'));
    c.tickAll(5);
    expect(c.reads.get(1)!.has('stale')).toBe(false);
    c.heal();
    c.tickAll(2);
    expect(c.reads.get(1)!.has('stale')).toBe(true);
  });

  it('a new leader answers only once it has committed an entry of its term', () => {
    const c = new TestCluster([1, 2, 3]);
    c.node(1).campaign();
    // Deliver votes but not yet the acks of the new leader's empty entry.
    for (let i = 0; i < 3; i++) {
      for (const id of [1, 2, 3]) c.processReady(id);
      for (const m of c.inbox.splice(0)) if (m.type !== MessageType.AppResp) c.node(m.to).step(m);
    }
    expect(c.leader()).toBe(1);
    c.node(1).readIndex(bytes('early'));
    for (const id of [1, 2, 3]) c.processReady(id);
    expect(c.reads.get(1)!.has('early')).toBe(false);
    c.stabilize();
    expect(c.reads.get(1)!.get('early')).toBe(c.node(1).status().commit);
  });
});

describe('RawNode guards', () => {
  it('refuses local message types from the network', () => {
    const c = electedCluster([1, 2, 3]);
    expect(() => c.node(2).step(newMessage({ type: MessageType.Hup, from: 9, to: 2 }))).toThrow(
      StepLocalMessageError,
    );
  });

  it('a leader drops proposals beyond maxUncommittedEntries until the tail commits', () => {
    const n = new RawNode({
      id: 1,
      electionTick: 10,
      heartbeatTick: 1,
      storage: MemoryStorage.bootstrap([1, 2]),
      maxUncommittedEntries: 3,
      random: new SeededRandom(1),
    });
    n.raft.becomeCandidate();
    n.raft.becomeLeader(); // its empty entry is the first uncommitted one
    n.propose(bytes('a'));
    n.propose(bytes('b'));
    expect(() => n.propose(bytes('c'))).toThrow(ProposalDroppedError);
    expect(n.status().lastIndex).toBe(3);
  });
});
