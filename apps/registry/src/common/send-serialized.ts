import { ifNoneMatchHits } from '@skyroad/registry-core';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import Negotiator from 'negotiator';

/** A JSON answer serialized ahead of time, with its strong ETag. */
export interface Serialized {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Answers smaller than this go as they are: compressing them saves a client less than the
 * headers it adds.
 */
export const GZIP_MIN_BYTES = 1024;

/**
 * Per answer: 'asked' once a client that takes gzip asked for it, then its gzipped form. An
 * answer is compressed the second time such a client asks for it (about 100 µs for a 30-40 KB
 * list, against some 30 µs to send it), so one that changes before anybody asks for it twice
 * (a busy service's heartbeats, an answer computed fresh in degraded mode) is never
 * compressed; a kept one is compressed once and dropped with it (kept answers are replaced,
 * not changed, when they change).
 */
const gzipped = new WeakMap<Serialized, Serialized | 'asked'>();

/** Accept-Encoding values seen lately and whether they take gzip (SDKs send the same one). */
const acceptsGzipCache = new Map<string, boolean>();
const ACCEPTS_GZIP_CACHE_SIZE = 64;

/**
 * Writes a ready JSON body in one go (no JSON.stringify, no ETag hashing per request, as
 * Express's res.json would do), or 304 without a body when If-None-Match names its ETag.
 * A client whose Accept-Encoding takes gzip (fetch sends `gzip, deflate`) gets the body
 * gzipped (from the answer's second request on, see `gzipped`) under its own ETag (RFC 9110
 * 8.8.3: a strong validator names one representation).
 */
export function sendSerialized(
  res: ServerResponse,
  answer: Serialized,
  ifNoneMatch: string | undefined,
  acceptEncoding?: string | string[],
): void {
  const compress = answer.body.length >= GZIP_MIN_BYTES;
  // Caches must not hand one client's encoding to another.
  if (compress) res.setHeader('Vary', 'Accept-Encoding');
  const sent = (compress && acceptsGzip(acceptEncoding) && gzipOf(answer)) || answer;
  res.setHeader('ETag', sent.etag);
  if (ifNoneMatchHits(ifNoneMatch, sent.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (sent !== answer) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', sent.body.length);
  res.end(sent.body);
}

/** The gzipped form of `answer`, or undefined the first time it is asked for. */
function gzipOf(answer: Serialized): Serialized | undefined {
  const known = gzipped.get(answer);
  if (known === undefined) {
    gzipped.set(answer, 'asked');
    return undefined;
  }
  if (known !== 'asked') return known;
  const variant = { body: gzipSync(answer.body), etag: gzipEtag(answer.etag) };
  gzipped.set(answer, variant);
  return variant;
}

/** `"x"` becomes `"x-gzip"` (as Apache's mod_deflate names its variants). */
export function gzipEtag(etag: string): string {
  return etag.endsWith('"') ? `${etag.slice(0, -1)}-gzip"` : `${etag}-gzip`;
}

/** RFC 9110 12.5.3, through negotiator: gzip (or `*`) listed with a weight above 0. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  let accepted = acceptsGzipCache.get(value);
  if (accepted === undefined) {
    const negotiator = new Negotiator({ headers: { 'accept-encoding': value } });
    accepted = negotiator.encoding(['gzip', 'identity']) === 'gzip';
    if (acceptsGzipCache.size >= ACCEPTS_GZIP_CACHE_SIZE) acceptsGzipCache.clear();
    acceptsGzipCache.set(value, accepted);
  }
  return accepted;
}
