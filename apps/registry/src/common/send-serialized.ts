import { ifNoneMatchHits } from '@skyroad/registry-core';
import type { ServerResponse } from 'node:http';

/** A JSON answer serialized ahead of time, with its strong ETag. */
export interface Serialized {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * Writes a ready JSON body in one go (no JSON.stringify, no ETag hashing per request, as
 * Express's res.json would do), or 304 without a body when If-None-Match names its ETag.
 */
export function sendSerialized(
  res: ServerResponse,
  answer: Serialized,
  ifNoneMatch: string | undefined,
): void {
  res.setHeader('ETag', answer.etag);
  if (ifNoneMatchHits(ifNoneMatch, answer.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', answer.body.length);
  res.end(answer.body);
}
