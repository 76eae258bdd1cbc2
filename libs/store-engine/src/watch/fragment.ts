/*
 * Splitting a watch response that would exceed the stream's message size into fragments, as
 * etcd's v3rpc sendFragments does: every fragment but the last has `fragment: true`, and the
 * client joins them back into one response. Each fragment carries at least one event.
 */
import type { Event } from '../mvcc/types';
import type { WatchResponse } from './types';

/** Per-event framing counted on top of key and value bytes (protobuf tags, lengths, numbers). */
const EVENT_OVERHEAD_BYTES = 64;

export function eventBytes(event: Event): number {
  let size = EVENT_OVERHEAD_BYTES + event.kv.key.length + event.kv.value.length;
  if (event.prevKv) size += EVENT_OVERHEAD_BYTES + event.prevKv.key.length + event.prevKv.value.length;
  return size;
}

export function fragmentResponse(response: WatchResponse, maxBytes: number): WatchResponse[] {
  const total = response.events.reduce((sum, e) => sum + eventBytes(e), 0);
  if (total <= maxBytes || response.events.length <= 1) return [response];
  const out: WatchResponse[] = [];
  let current: Event[] = [];
  let size = 0;
  for (const event of response.events) {
    const bytes = eventBytes(event);
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push({ ...response, events: current, fragment: true });
      current = [];
      size = 0;
    }
    current.push(event);
    size += bytes;
  }
  out.push({ ...response, events: current });
  return out;
}
