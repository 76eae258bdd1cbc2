import fc from 'fast-check';
import {
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
  VoteResult,
} from '../src/quorum';
import { Inflights } from '../src/tracker';
import { Progress, ProgressState } from '../src/tracker';

describe('majority quorum', () => {
  it('the committed index is the largest index acknowledged by a majority (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 7 }), (acks) => {
        const ids = new Set(acks.map((_, i) => i + 1));
        const got = majorityCommittedIndex(ids, (id) => acks[id - 1]);
        const q = Math.floor(acks.length / 2) + 1;
        // By definition: at least q voters acked >= got, and fewer than q acked >= got + 1.
        expect(acks.filter((a) => a >= got).length).toBeGreaterThanOrEqual(q);
        expect(acks.filter((a) => a >= got + 1).length).toBeLessThan(q);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('tallies votes: won, lost, or pending while missing votes could decide', () => {
    const ids = new Set([1, 2, 3, 4, 5]);
    const votes = (entries: [number, boolean][]) => new Map(entries);
    expect(
      majorityVoteResult(
        ids,
        votes([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe(VoteResult.Won);
    expect(
      majorityVoteResult(
        ids,
        votes([
          [1, true],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe(VoteResult.Pending);
    expect(
      majorityVoteResult(
        ids,
        votes([
          [1, false],
          [2, false],
          [3, false],
        ]),
      ),
    ).toBe(VoteResult.Lost);
  });
});

describe('joint quorum', () => {
  it('needs a majority of both halves to commit and to win', () => {
    const c: [Set<number>, Set<number>] = [new Set([1, 2, 4]), new Set([1, 2, 3])];
    const match = new Map([
      [1, 10],
      [2, 5],
      [3, 10],
      [4, 10],
    ]);
    // Incoming {1,2,4}: majority at 10; outgoing {1,2,3}: majority at 10.
    expect(jointCommittedIndex(c, (id) => match.get(id))).toBe(10);
    match.set(3, 1);
    expect(jointCommittedIndex(c, (id) => match.get(id))).toBe(5);
    const votes = new Map([
      [1, true],
      [4, true],
    ]);
    expect(jointVoteResult(c, votes)).toBe(VoteResult.Pending);
    votes.set(3, true);
    expect(jointVoteResult(c, votes)).toBe(VoteResult.Won);
  });
});

describe('flow control', () => {
  it('an inflight window bounds what is sent and frees on acknowledgement', () => {
    const w = new Inflights(3);
    [5, 7, 9].forEach((i) => w.add(i));
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow();
    w.freeLE(7);
    expect(w.count()).toBe(1);
  });

  it('a replicating follower pauses when its window is full; a probing one after one message', () => {
    const pr = new Progress(1, 2, false);
    expect(pr.state).toBe(ProgressState.Probe);
    pr.sentEntries(3);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(3);
    pr.becomeReplicate();
    pr.sentEntries(5);
    pr.sentEntries(7);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(8);
    pr.maybeUpdate(5);
    pr.inflights.freeLE(5);
    expect(pr.isPaused()).toBe(false);
  });

  it('ignores stale rejections and walks back on fresh ones', () => {
    const pr = new Progress(10, 4, false);
    pr.match = 3;
    expect(pr.maybeDecrTo(5, 4)).toBe(false); // not the index we last sent
    expect(pr.maybeDecrTo(9, 4)).toBe(true);
    expect(pr.next).toBe(5);
  });
});
