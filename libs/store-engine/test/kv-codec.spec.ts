/*
 * decodeStoredIndexEntry (restart, compaction) must read the same key and state as the full
 * decoder, for binary keys (bytes >= 0x80 as latin1), empty values, leases and tombstones; and
 * a tombstone written from the key's latin1 name must be the bytes the general encoder writes.
 */
import { keyString } from '../src/bytes';
import {
  decodeStoredIndexEntry,
  decodeStoredKeyValue,
  encodeStoredKeyValue,
  encodeStoredTombstone,
  storedKey,
} from '../src/mvcc/kv-codec';
import { prng } from './support/engine';

describe('decodeStoredIndexEntry', () => {
  it('agrees with decodeStoredKeyValue on random stored revisions', () => {
    const r = prng(11);
    for (let n = 0; n < 500; n++) {
      const key = Buffer.from(Array.from({ length: 1 + r.int(40) }, () => r.int(256)));
      const value = Buffer.from(Array.from({ length: r.int(3) === 0 ? 0 : r.int(600) }, () => r.int(256)));
      const kv = {
        key,
        value,
        createRevision: 1 + r.int(2 ** 31) * 1000,
        modRevision: 1 + r.int(2 ** 31) * 1000,
        version: 1 + r.int(1000),
        lease: r.int(2) === 0 ? 0n : BigInt(r.int(2 ** 31)) * 4096n + 1n,
      };
      const tombstone = r.int(4) === 0;
      const stored = encodeStoredKeyValue(kv, tombstone);
      const full = decodeStoredKeyValue(stored);
      // Also from a view that is not a Buffer and does not start at offset 0.
      const padded = new Uint8Array(stored.length + 3);
      padded.set(stored, 3);
      for (const bytes of [stored, padded.subarray(3)]) {
        expect(decodeStoredIndexEntry(bytes)).toEqual({
          key: keyString(full.kv.key),
          tombstone: full.tombstone,
          createRevision: full.kv.createRevision,
          version: full.kv.version,
          lease: full.kv.lease,
        });
      }
    }
  });

  it('writes a tombstone from a latin1 name as encodeStoredKeyValue does, its key a view of the bytes', () => {
    const r = prng(12);
    for (let n = 0; n < 200; n++) {
      const key = Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256)));
      const rev = 1 + r.int(2 ** 31) * 1000;
      const stored = encodeStoredTombstone(keyString(key), rev);
      const general = encodeStoredKeyValue(
        { key, value: Buffer.alloc(0), createRevision: 0, modRevision: rev, version: 0, lease: 0n },
        true,
      );
      expect(stored.equals(general)).toBe(true);
      expect(storedKey(stored).equals(key)).toBe(true);
      expect(storedKey(stored).buffer).toBe(stored.buffer);
    }
  });
});
