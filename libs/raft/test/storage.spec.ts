import { CompactedError, MemoryStorage, SnapshotOutOfDateError, UnavailableError } from '../src';
import { RaftLog } from '../src/raft-log';
import { ent } from './raft-helpers';

function storageWith(...terms: number[]): MemoryStorage {
  const s = new MemoryStorage();
  s.append(terms.map((t, i) => ent(i + 1, t)));
  return s;
}

describe('MemoryStorage', () => {
  it('answers entries, terms and bounds, and refuses compacted or missing indexes', () => {
    const s = storageWith(1, 1, 2);
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(0)).toBe(0);
    expect(s.term(3)).toBe(2);
    expect(s.entries(2, 4, Number.MAX_SAFE_INTEGER).map((e) => e.index)).toEqual([2, 3]);
    expect(() => s.term(4)).toThrow(UnavailableError);
    expect(() => s.entries(0, 2, 100)).toThrow(CompactedError);
  });

  it('limits entries by size but always returns at least one', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 'aaaa'), ent(2, 1, 'bbbb'), ent(3, 1, 'cccc')]);
    expect(s.entries(1, 4, 0)).toHaveLength(1);
    expect(s.entries(1, 4, 2 * (16 + 4))).toHaveLength(2);
  });

  it('replaces a conflicting suffix on append and ignores compacted entries', () => {
    const s = storageWith(1, 1, 1);
    s.append([ent(2, 2), ent(3, 2), ent(4, 2)]);
    expect([1, 2, 3, 4].map((i) => s.term(i))).toEqual([1, 2, 2, 2]);
    s.compact(2);
    s.append([ent(1, 1), ent(2, 2), ent(3, 2), ent(4, 2), ent(5, 3)]);
    expect(s.firstIndex()).toBe(3);
    expect(s.lastIndex()).toBe(5);
  });

  it('compacts, snapshots and installs snapshots', () => {
    const s = storageWith(1, 1, 2, 2);
    const cs = { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
    const snap = s.createSnapshot(3, cs, new Uint8Array([7]));
    expect(snap.metadata).toMatchObject({ index: 3, term: 2 });
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.applySnapshot(snap)).toThrow(SnapshotOutOfDateError);
    s.applySnapshot({ metadata: { index: 10, term: 4, confState: cs }, data: new Uint8Array() });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 4]);
    expect(s.initialState().confState.voters).toEqual([1, 2, 3]);
  });
});

describe('RaftLog', () => {
  it('reads through storage and unstable entries, and tracks what became durable', () => {
    const s = storageWith(1, 1);
    const log = new RaftLog(s);
    log.append([ent(3, 2), ent(4, 2)]);
    expect(log.lastIndex()).toBe(4);
    expect(log.slice(1, 5, Number.MAX_SAFE_INTEGER).map((e) => e.term)).toEqual([1, 1, 2, 2]);
    expect(log.stableLastIndex()).toBe(2);
    s.append(log.unstableEntries());
    log.stableTo(4, 2);
    expect(log.unstableEntries()).toEqual([]);
    expect(log.stableLastIndex()).toBe(4);
  });

  it('does not mark entries durable when they were replaced after the Ready was taken', () => {
    const s = storageWith(1);
    const log = new RaftLog(s);
    log.append([ent(2, 1), ent(3, 1)]);
    log.append([ent(3, 2)]); // a new leader replaced entry 3
    log.stableTo(3, 1);
    expect(log.unstableEntries().map((e) => [e.index, e.term])).toEqual([
      [2, 1],
      [3, 2],
    ]);
  });

  it('maybeAppend checks the previous entry, truncates conflicts and never passes the last new entry on commit', () => {
    const log = new RaftLog(storageWith(1, 1, 1));
    expect(log.maybeAppend(3, 2, 10, [ent(4, 2)])).toBeUndefined();
    expect(log.maybeAppend(1, 1, 10, [ent(2, 2)])).toBe(2);
    expect(log.lastIndex()).toBe(2);
    expect(log.committed).toBe(2);
  });

  it('refuses to overwrite a committed entry', () => {
    const log = new RaftLog(storageWith(1, 1));
    log.commitTo(2);
    expect(() => log.maybeAppend(1, 1, 2, [ent(2, 3)])).toThrow(/conflicts with committed/);
  });
});
