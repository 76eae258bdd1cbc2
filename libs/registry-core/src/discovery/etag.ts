/**
 * Whether an If-None-Match header names `etag` (RFC 9110 13.1.2: weak comparison, so `W/"x"`
 * matches `"x"`; `*` matches any current answer).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined || header === '') return false;
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    let tag = part.trim();
    if (tag.startsWith('W/')) tag = tag.slice(2);
    if (tag === etag) return true;
  }
  return false;
}
