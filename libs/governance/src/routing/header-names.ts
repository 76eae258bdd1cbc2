/** Header names seen so far, lowercased: callers send the same few names over and over. */
const lowerCased = new Map<string, string>();
/** Bound on the cache, so a caller sending random header names cannot grow it forever. */
export const MAX_CACHED_HEADER_NAMES = 4096;

/** `name.toLowerCase()`, without allocating a new string for a name seen before. */
export function lowerCaseName(name: string): string {
  let lower = lowerCased.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerCased.size >= MAX_CACHED_HEADER_NAMES) lowerCased.clear();
    lowerCased.set(name, lower);
  }
  return lower;
}
