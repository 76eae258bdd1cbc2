/*
 * The simulator's invariant checks must be able to fail. The mutants prove it end to end for
 * election safety and committed-entry loss; these tests feed each other check a violation.
 */
import { EntryType } from '../src';
import { InvariantChecker } from '../src/sim/invariants';
import { SimNode } from '../src/sim/sim-node';

const PARAMS = {
  preVote: false,
  checkQuorum: false,
  maxSizePerMsgBytes: 1024,
  maxInflightMsgs: 4,
  snapshotEveryEntries: 1000,
  compactionLagEntries: 0,
};

function startedNode(id: number): SimNode {
  const n = new SimNode(id, [1, 2, 3], PARAMS, undefined, id);
  n.start();
  return n;
}

const entry = (index: number, term: number, data: string) => ({
  index,
  term,
  type: EntryType.Normal,
  data: new Uint8Array(Buffer.from(data)),
});

describe('InvariantChecker', () => {
  it('flags two leaders in one term', () => {
    const [a, b] = [startedNode(1), startedNode(2)];
    for (const n of [a, b]) {
      n.raw!.raft.becomeCandidate();
      n.raw!.raft.becomeLeader();
    }
    const c = new InvariantChecker();
    c.checkNodes([a]);
    expect(c.failed).toBe(false);
    c.checkNodes([a, b]);
    expect(c.violations.map((v) => v.invariant)).toEqual(['election-safety']);
  });

  it('flags different entries applied at the same index', () => {
    const c = new InvariantChecker();
    const [a, b] = [startedNode(1), startedNode(2)];
    c.onApplied(a, entry(1, 1, 'x'), 111);
    c.onApplied(b, entry(1, 1, 'x'), 111);
    expect(c.failed).toBe(false);
    c.onApplied(b, entry(2, 1, 'y'), 222);
    c.onApplied(a, entry(2, 1, 'z'), 333);
    expect(c.violations.map((v) => v.invariant)).toContain('state-machine-safety');
  });

  it('flags a read point older than a write committed before the read began', () => {
    const c = new InvariantChecker();
    c.onReadServed(startedNode(1), 7, 7, 9);
    expect(c.failed).toBe(false);
    c.onReadServed(startedNode(1), 5, 7, 9);
    expect(c.violations.map((v) => v.invariant)).toEqual(['linearizable-read']);
  });

  it('flags applied or commit indexes that move backwards', () => {
    const c = new InvariantChecker();
    const n = startedNode(1);
    c.onAppliedIndexMoved(n, 3, 4, false);
    c.onAppliedIndexMoved(n, 3, 10, true);
    expect(c.failed).toBe(false);
    c.onAppliedIndexMoved(n, 4, 6, false);
    c.onDurableHardStateWritten(n, 4, 5);
    expect(c.violations.map((v) => v.invariant)).toEqual(['applied-monotonic', 'commit-monotonic']);
  });
});
