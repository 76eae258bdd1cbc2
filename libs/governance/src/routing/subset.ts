import type { Endpoint } from '../model/endpoint';

const hasOwn = Object.prototype.hasOwnProperty;

/** An instance belongs to a subset when its metadata has every key/value of the subset. */
export function matchesSubset(
  subset: Readonly<Record<string, string>>,
  metadata: Readonly<Record<string, string>>,
): boolean {
  for (const key in subset) {
    if (!hasOwn.call(subset, key)) continue;
    if (!hasOwn.call(metadata, key) || metadata[key] !== subset[key]) return false;
  }
  return true;
}

export function filterSubset<T extends Endpoint>(
  instances: readonly T[],
  subset: Readonly<Record<string, string>>,
): T[] {
  return instances.filter((i) => matchesSubset(subset, i.metadata));
}
