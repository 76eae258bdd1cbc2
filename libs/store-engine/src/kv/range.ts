/*
 * A RangeRequest served as etcd's apply.go serves it: read (one extra kv to know `more`),
 * filter by min/max create/mod revision, sort, cut to the limit. `count` is the number of keys
 * in the interval before filters, as etcd reports it.
 */
import { compareBytes, keyInterval, type KeyInterval } from '../bytes';
import type { RawRange, RawRangeOptions } from '../mvcc/kv-store';
import { SortOrder, SortTarget, type KeyValue, type RangeRequest, type RangeResponse } from '../mvcc/types';

export interface KvReader {
  range(interval: KeyInterval, options?: RawRangeOptions): RawRange;
}

export function executeRange(reader: KvReader, req: RangeRequest): RangeResponse {
  const limit = req.limit ?? 0;
  const sortOrder = req.sortOrder ?? SortOrder.NONE;
  const sortTarget = req.sortTarget ?? SortTarget.KEY;
  const filtered =
    (req.minModRevision ?? 0) !== 0 ||
    (req.maxModRevision ?? 0) !== 0 ||
    (req.minCreateRevision ?? 0) !== 0 ||
    (req.maxCreateRevision ?? 0) !== 0;
  // A target other than key with no order sorts ascending (etcd).
  const order = sortTarget !== SortTarget.KEY && sortOrder === SortOrder.NONE ? SortOrder.ASCEND : sortOrder;
  // Sorting or filtering needs every kv before cutting to the limit.
  const needAll = filtered || order !== SortOrder.NONE;
  const raw = reader.range(keyInterval(req.key, req.rangeEnd), {
    revision: req.revision ?? 0,
    limit: needAll || limit <= 0 ? 0 : limit + 1,
    countOnly: req.countOnly ?? false,
  });
  let kvs = raw.kvs;
  if (filtered) kvs = kvs.filter((kv) => passesFilters(kv, req));
  if (order !== SortOrder.NONE) {
    const compare = comparator(sortTarget);
    kvs = [...kvs].sort(order === SortOrder.ASCEND ? compare : (a, b) => compare(b, a));
  }
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
  return { header: { revision: raw.revision }, kvs, more, count: raw.count };
}

function passesFilters(kv: KeyValue, req: RangeRequest): boolean {
  if (req.maxModRevision && kv.modRevision > req.maxModRevision) return false;
  if (req.minModRevision && kv.modRevision < req.minModRevision) return false;
  if (req.maxCreateRevision && kv.createRevision > req.maxCreateRevision) return false;
  if (req.minCreateRevision && kv.createRevision < req.minCreateRevision) return false;
  return true;
}

function comparator(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  // Ties keep key order (the sort is stable and the input is in key order).
  switch (target) {
    case SortTarget.KEY:
      return (a, b) => compareBytes(a.key, b.key);
    case SortTarget.VERSION:
      return (a, b) => a.version - b.version;
    case SortTarget.CREATE:
      return (a, b) => a.createRevision - b.createRevision;
    case SortTarget.MOD:
      return (a, b) => a.modRevision - b.modRevision;
    case SortTarget.VALUE:
      return (a, b) => compareBytes(a.value, b.value);
  }
}
