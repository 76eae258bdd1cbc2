/*
 * One test per rule of the Raft paper (Ongaro & Ousterhout, §5), after etcd's
 * raft_paper_test.go. Each drives one state machine by hand and looks at what it emits.
 */
import { StateRole } from '../src/raft';
import { MemoryStorage, MessageType, NONE } from '../src';
import { electLeader, ent, msg, newTestRaft, persist, readMessages } from './raft-helpers';

describe('§5.1 terms', () => {
  it.each([StateRole.Follower, StateRole.Candidate, StateRole.Leader])(
    'a %s that sees a higher term adopts it and becomes a follower',
    (role) => {
      const storage = MemoryStorage.bootstrap([1, 2, 3]);
      const r = newTestRaft(1, [1, 2, 3], { storage });
      if (role === StateRole.Candidate) r.becomeCandidate();
      if (role === StateRole.Leader) electLeader(r, storage);
      r.step(msg({ type: MessageType.App, from: 2, to: 1, term: 5 }));
      expect(r.term).toBe(5);
      expect(r.state).toBe(StateRole.Follower);
      expect(r.lead).toBe(2);
    },
  );

  it('a message with a stale term is ignored', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    r.becomeFollower(3, NONE);
    r.step(msg({ type: MessageType.App, from: 2, to: 1, term: 2, entries: [ent(1, 2)] }));
    expect(r.term).toBe(3);
    expect(r.raftLog.lastIndex()).toBe(0);
    expect(readMessages(r)).toEqual([]);
  });
});

describe('§5.2 leader election', () => {
  it('a node starts as a follower', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    expect(r.state).toBe(StateRole.Follower);
    expect(r.term).toBe(0);
  });

  it('a leader sends heartbeats to every follower each heartbeat timeout', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const r = newTestRaft(1, [1, 2, 3], { storage, heartbeatTick: 2 });
    electLeader(r, storage);
    readMessages(r);
    r.tick();
    expect(readMessages(r).filter((m) => m.type === MessageType.Heartbeat)).toEqual([]);
    r.tick();
    const beats = readMessages(r).filter((m) => m.type === MessageType.Heartbeat);
    expect(beats.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(beats.every((m) => m.term === r.term)).toBe(true);
  });

  it('a follower that hears nothing for an election timeout becomes a candidate, votes for itself and asks everyone', () => {
    const r = newTestRaft(1, [1, 2, 3], { electionTick: 10 });
    for (let i = 0; i < 20; i++) r.tick();
    expect(r.state).toBe(StateRole.Candidate);
    expect(r.term).toBe(1);
    expect(r.vote).toBe(1);
    const votes = readMessages(r).filter((m) => m.type === MessageType.Vote);
    expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(votes.every((m) => m.term === 1)).toBe(true);
  });

  it.each([
    // [cluster size, granted votes besides self, rejections, expected role]
    [1, 0, 0, StateRole.Leader],
    [3, 1, 0, StateRole.Leader],
    [3, 0, 1, StateRole.Candidate],
    [3, 0, 2, StateRole.Follower],
    [5, 2, 0, StateRole.Leader],
    [5, 1, 2, StateRole.Candidate],
    [5, 0, 3, StateRole.Follower],
  ])('a candidate of %i nodes with %i grants and %i rejections becomes %s', (size, grants, rejects, want) => {
    const peers = Array.from({ length: size }, (_, i) => i + 1);
    const r = newTestRaft(1, peers);
    r.step(msg({ type: MessageType.Hup, from: 1 }));
    let from = 2;
    for (let i = 0; i < grants; i++)
      r.step(msg({ type: MessageType.VoteResp, from: from++, to: 1, term: r.term }));
    for (let i = 0; i < rejects; i++) {
      r.step(msg({ type: MessageType.VoteResp, from: from++, to: 1, term: r.term, reject: true }));
    }
    expect(r.state).toBe(want);
  });

  it('a follower votes for at most one candidate per term, first come first served', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    r.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1 }));
    r.step(msg({ type: MessageType.Vote, from: 3, to: 1, term: 1 }));
    r.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 1 })); // retransmission: same answer
    const resps = readMessages(r).map((m) => [m.to, m.reject]);
    expect(resps).toEqual([
      [2, false],
      [3, true],
      [2, false],
    ]);
    expect(r.vote).toBe(2);
  });

  it('a candidate that hears from a leader of its own term becomes its follower', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    r.becomeCandidate();
    r.step(msg({ type: MessageType.App, from: 2, to: 1, term: r.term }));
    expect(r.state).toBe(StateRole.Follower);
    expect(r.lead).toBe(2);
  });

  it('election timeouts are randomized in [electionTick, 2 * electionTick)', () => {
    const seen = new Set<number>();
    for (let id = 1; id <= 30; id++) {
      const r = newTestRaft(id, [id, 100], { electionTick: 10 });
      let ticks = 0;
      while (r.state === StateRole.Follower && ticks < 100) {
        r.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });
});

describe('§5.3 log replication', () => {
  it('a new leader appends an empty entry of its term and replicates it', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const r = newTestRaft(1, [1, 2, 3], { storage });
    electLeader(r, storage);
    expect(r.raftLog.lastIndex()).toBe(1);
    expect(r.raftLog.term(1)).toBe(r.term);
    const apps = readMessages(r).filter((m) => m.type === MessageType.App);
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('the leader commits an entry once a majority has persisted it, and tells followers', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3, 4, 5]);
    const r = newTestRaft(1, [1, 2, 3, 4, 5], { storage });
    electLeader(r, storage);
    readMessages(r);
    r.step(msg({ type: MessageType.Prop, from: 1, entries: [ent(0, 0, 'x')] }));
    persist(r, storage);
    readMessages(r);
    r.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: r.term, index: 2 }));
    expect(r.raftLog.committed).toBe(0);
    readMessages(r);
    r.step(msg({ type: MessageType.AppResp, from: 3, to: 1, term: r.term, index: 2 }));
    expect(r.raftLog.committed).toBe(2);
    const commits = readMessages(r).filter((m) => m.type === MessageType.App);
    // 4 and 5 never answered their probe, so they are paused until a heartbeat response.
    expect(commits.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(commits.every((m) => m.commit === 2)).toBe(true);
  });

  it('the leader does not count itself before its own entries are durable', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const r = newTestRaft(1, [1, 2, 3], { storage });
    electLeader(r, storage);
    r.step(msg({ type: MessageType.Prop, from: 1, entries: [ent(0, 0, 'x')] }));
    // Follower 2 acks index 2, but the leader has not persisted it yet: 1 of 3 is not a quorum.
    r.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: r.term, index: 2 }));
    expect(r.raftLog.committed).toBe(1);
    persist(r, storage);
    expect(r.raftLog.committed).toBe(2);
  });

  it('a follower rejects MsgApp whose previous entry it does not have, hinting its last index', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    r.becomeFollower(2, 2);
    r.step(
      msg({ type: MessageType.App, from: 2, to: 1, term: 2, index: 5, logTerm: 2, entries: [ent(6, 2)] }),
    );
    const [resp] = readMessages(r);
    expect(resp).toMatchObject({ type: MessageType.AppResp, reject: true, index: 5, rejectHint: 0 });
  });

  it('a follower deletes a conflicting entry and everything after it, then appends', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    storage.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    const r = newTestRaft(1, [1, 2, 3], { storage });
    r.becomeFollower(2, 2);
    r.step(
      msg({
        type: MessageType.App,
        from: 2,
        to: 1,
        term: 2,
        index: 1,
        logTerm: 1,
        entries: [ent(2, 2, 'n')],
      }),
    );
    expect(r.raftLog.lastIndex()).toBe(2);
    expect(r.raftLog.term(2)).toBe(2);
    expect(readMessages(r)[0]).toMatchObject({ type: MessageType.AppResp, reject: false, index: 2 });
  });

  it('the leader walks nextIndex back after a rejection and resends from there', () => {
    const storage = MemoryStorage.bootstrap([1, 2]);
    storage.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    storage.setHardState({ term: 1, vote: 0, commit: 0 });
    const r = newTestRaft(1, [1, 2], { storage });
    electLeader(r, storage);
    readMessages(r);
    // Follower 2 has only entry 1.
    r.step(
      msg({ type: MessageType.AppResp, from: 2, to: 1, term: r.term, index: 3, reject: true, rejectHint: 1 }),
    );
    const [app] = readMessages(r);
    expect(app).toMatchObject({ type: MessageType.App, to: 2, index: 1, logTerm: 1 });
    expect(app.entries.map((e) => e.index)).toEqual([2, 3, 4]);
  });
});

describe('§5.4 safety', () => {
  it('a voter refuses a candidate whose log is less up to date than its own (§5.4.1)', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    storage.append([ent(1, 1), ent(2, 2)]);
    const r = newTestRaft(1, [1, 2, 3], { storage });
    const cases: [number, number, boolean][] = [
      // [candidate last index, candidate last term, rejected]
      [2, 1, true], // lower last term
      [1, 2, true], // same term, shorter
      [2, 2, false], // same
      [1, 3, false], // higher last term wins even if shorter
    ];
    let term = 3;
    for (const [index, logTerm, rejected] of cases) {
      r.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: term++, index, logTerm }));
      expect(readMessages(r)[0].reject).toBe(rejected);
    }
  });

  it('a leader never commits an entry of an earlier term by counting replicas (§5.4.2)', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    storage.append([ent(1, 1, 'old')]);
    storage.setHardState({ term: 1, vote: 0, commit: 0 });
    const r = newTestRaft(1, [1, 2, 3], { storage });
    electLeader(r, storage); // term 2, no-op at index 2
    r.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: r.term, index: 1 }));
    // Entry 1 (term 1) is on a majority, but that alone does not commit it.
    expect(r.raftLog.committed).toBe(0);
    r.step(msg({ type: MessageType.AppResp, from: 2, to: 1, term: r.term, index: 2 }));
    // Committing the current-term entry commits the earlier one with it.
    expect(r.raftLog.committed).toBe(2);
  });
});
