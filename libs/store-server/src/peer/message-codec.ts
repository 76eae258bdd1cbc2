import type { Entry, Message, Snapshot } from '@skyroad/raft';

/*
 * Raft messages on the peer wire: JSON, with the opaque byte fields (entry data, snapshot
 * data, read-index context) carried as base64. Simple to inspect, and the payloads that
 * dominate (entries) are small in this store.
 */

type Wire<T> = Omit<T, 'data'> & { data: string };

interface WireMessage extends Omit<Message, 'entries' | 'snapshot' | 'context'> {
  entries: Wire<Entry>[];
  snapshot?: Wire<Snapshot>;
  context?: string;
}

const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export function encodeMessages(messages: Message[]): Buffer {
  const wire: WireMessage[] = messages.map((m) => ({
    ...m,
    entries: m.entries.map((e) => ({ ...e, data: b64(e.data) })),
    snapshot: m.snapshot ? { ...m.snapshot, data: b64(m.snapshot.data) } : undefined,
    context: m.context ? b64(m.context) : undefined,
  }));
  return Buffer.from(JSON.stringify(wire));
}

export function decodeMessages(payload: Buffer): Message[] {
  const wire = JSON.parse(payload.toString('utf8')) as WireMessage[];
  return wire.map((m) => ({
    ...m,
    entries: m.entries.map((e) => ({ ...e, data: unb64(e.data) })),
    snapshot: m.snapshot ? { ...m.snapshot, data: unb64(m.snapshot.data) } : undefined,
    context: m.context !== undefined ? unb64(m.context) : undefined,
  }));
}
