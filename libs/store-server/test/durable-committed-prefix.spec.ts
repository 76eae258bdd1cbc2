import { EntryType, type Entry, type Ready } from '@skyroad/raft';
import { durableCommittedPrefix } from '../src/node/raft-node';

const entry = (index: number, type = EntryType.Normal): Entry => ({
  term: 1,
  index,
  type,
  data: new Uint8Array(0),
});
const ready = (entries: Entry[], committedEntries: Entry[]): Ready => ({
  entries,
  committedEntries,
  messages: [],
  messagesAfterPersist: [],
  readStates: [],
  mustSync: entries.length > 0,
});
const indexes = (es: Entry[]) => es.map((e) => e.index);

describe('committed entries applied while a Ready is being persisted', () => {
  it('are all of them when the Ready brings no new entries', () => {
    expect(indexes(durableCommittedPrefix(ready([], [entry(1), entry(2)])))).toEqual([1, 2]);
  });

  it('stop below the first entry this Ready writes (not on this disk yet)', () => {
    expect(indexes(durableCommittedPrefix(ready([entry(3), entry(4)], [entry(2), entry(3)])))).toEqual([2]);
  });

  it('stop at a membership change, which keeps its place after persisting', () => {
    const committed = [entry(1), entry(2, EntryType.ConfChange), entry(3)];
    expect(indexes(durableCommittedPrefix(ready([], committed)))).toEqual([1]);
  });
});
