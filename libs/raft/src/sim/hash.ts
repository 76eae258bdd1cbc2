import { Entry } from '../raftpb';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a string: a cheap, deterministic digest for comparing entries and states. */
export function fnv1a(s: string, h = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

export function entryDigest(e: Entry): number {
  return fnv1a(`${e.term}/${e.type}/${Buffer.from(e.data).toString('latin1')}`);
}

/** The state after applying e on top of state `prev`: a hash chain over the applied log. */
export function chainState(prev: number, e: Entry): number {
  return fnv1a(`${prev}:${e.index}:${entryDigest(e)}`);
}
