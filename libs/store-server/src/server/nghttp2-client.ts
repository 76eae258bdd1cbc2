/*
 * Which HTTP/2 connections may go to Node's HTTP/2 natively (socket handed over as it is)
 * instead of through the JS stream that rewrites :authority (see AuthorityRewriter). The
 * rewrite is only needed for Go clients (etcdctl --cluster dials "http://host:port" as the
 * authority); Node clients (grpc-js: the etcd3 package, our SDKs) send "host:port". Going native
 * saves a JS stream hop per chunk and a syscall per HTTP/2 frame on every call.
 *
 * A Node (nghttp2) client's first SETTINGS frame states INITIAL_WINDOW_SIZE = 65,535, the
 * protocol default. Go's framer never sends a setting at its default value, so a Go client
 * never matches, and anything we cannot tell keeps the rewriting path.
 */

const PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const FRAME_SETTINGS = 0x4;
const SETTING_BYTES = 6;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const DEFAULT_INITIAL_WINDOW_SIZE = 65_535;

/** Whether the first bytes of an HTTP/2 connection (preface included) come from nghttp2. */
export function isNghttp2Client(first: Buffer): boolean {
  const frame = first.subarray(PREFACE_BYTES);
  if (frame.length < FRAME_HEADER_BYTES) return false;
  const length = frame.readUIntBE(0, 3);
  if (frame[3] !== FRAME_SETTINGS || frame.readUInt32BE(5) !== 0) return false;
  if (length % SETTING_BYTES !== 0 || frame.length < FRAME_HEADER_BYTES + length) return false;
  for (let at = FRAME_HEADER_BYTES; at < FRAME_HEADER_BYTES + length; at += SETTING_BYTES) {
    if (
      frame.readUInt16BE(at) === SETTINGS_INITIAL_WINDOW_SIZE &&
      frame.readUInt32BE(at + 2) === DEFAULT_INITIAL_WINDOW_SIZE
    )
      return true;
  }
  return false;
}
