/*
 * etcdctl's `endpoint status|hashkv|health --cluster` dial each endpoint string as it is, so
 * the HTTP/2 :authority they send is "http://127.0.0.1:2379". Go's server accepts that; Node's
 * (nghttp2) refuses the stream with PROTOCOL_ERROR. This rewrites the value of every literal
 * :authority field in the client's HEADERS frames to a one-byte value before Node sees it.
 *
 * HPACK stays consistent: the rewritten literal enters both dynamic tables, smaller on our
 * side than the client believes, so our table only ever evicts later than the client's and
 * every index the client sends still names the same entry. The server never reads :authority.
 */

const HTTP2_PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const FRAME_HEADERS = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const PRIORITY_BYTES = 5;
/** :authority's index in HPACK's static table. */
const AUTHORITY_INDEX = 1;
/** The replacement: a raw (not Huffman) string of one byte, "x". */
const REPLACEMENT_VALUE = Buffer.from([0x01, 0x78]);

/** Reads an HPACK integer with an N-bit prefix at `offset`; returns [value, next offset]. */
function readInt(buf: Buffer, offset: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = buf[offset] & max;
  let i = offset + 1;
  if (value < max) return [value, i];
  let shift = 0;
  for (;;) {
    if (i >= buf.length) throw new Error('truncated HPACK integer');
    const byte = buf[i++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, i];
  }
}

/** Skips an HPACK string literal; returns the offset after it. */
function skipString(buf: Buffer, offset: number): number {
  const [length, next] = readInt(buf, offset, 7);
  return next + length;
}

/** The header block with every literal :authority value replaced (undefined if none was). */
export function rewriteHeaderBlock(block: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let copied = 0;
  let offset = 0;
  while (offset < block.length) {
    const byte = block[offset];
    if (byte & 0x80) {
      offset = readInt(block, offset, 7)[1]; // indexed field
    } else if ((byte & 0xe0) === 0x20) {
      offset = readInt(block, offset, 5)[1]; // dynamic table size update
    } else {
      const prefix = (byte & 0xc0) === 0x40 ? 6 : 4; // with indexing, or without / never indexed
      const [nameIndex, afterName] = readInt(block, offset, prefix);
      const valueAt = nameIndex === 0 ? skipString(block, afterName) : afterName;
      const end = skipString(block, valueAt);
      if (nameIndex === AUTHORITY_INDEX) {
        parts.push(block.subarray(copied, valueAt), REPLACEMENT_VALUE);
        copied = end;
      }
      offset = end;
    }
  }
  if (parts.length === 0) return undefined;
  parts.push(block.subarray(copied));
  return Buffer.concat(parts);
}

function rewriteHeadersFrame(frame: Buffer): Buffer {
  const flags = frame[4];
  if ((flags & FLAG_END_HEADERS) === 0) return frame; // block continues: leave it alone
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  const padLength = flags & FLAG_PADDED ? payload[0] : 0;
  const start = (flags & FLAG_PADDED ? 1 : 0) + (flags & FLAG_PRIORITY ? PRIORITY_BYTES : 0);
  const block = payload.subarray(start, payload.length - padLength);
  let rewritten: Buffer | undefined;
  try {
    rewritten = rewriteHeaderBlock(block);
  } catch {
    return frame; // not what we understand: let HTTP/2 judge it
  }
  if (!rewritten) return frame;
  const body = Buffer.concat([
    payload.subarray(0, start),
    rewritten,
    payload.subarray(payload.length - padLength),
  ]);
  const header = Buffer.from(frame.subarray(0, FRAME_HEADER_BYTES));
  header.writeUIntBE(body.length, 0, 3);
  return Buffer.concat([header, body]);
}

/** Client-to-server HTTP/2 bytes in, the same bytes with :authority rewritten out. */
export class AuthorityRewriter {
  private prefaceLeft = HTTP2_PREFACE_BYTES;
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.prefaceLeft > 0) {
      const take = Math.min(this.prefaceLeft, data.length);
      out.push(data.subarray(0, take));
      this.prefaceLeft -= take;
      data = data.subarray(take);
    }
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const length = data.readUIntBE(offset, 3);
      const end = offset + FRAME_HEADER_BYTES + length;
      if (end > data.length) break;
      const frame = data.subarray(offset, end);
      out.push(frame[3] === FRAME_HEADERS ? rewriteHeadersFrame(frame) : frame);
      offset = end;
    }
    this.pending = Buffer.from(data.subarray(offset));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }
}
