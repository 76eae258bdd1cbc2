// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Endpoint } from '@skyroad/governance';

/** An instance belongs to a subset when its metadata has every key/value of the subset. */
export function matchesSubset(
  subset: Readonly<Record<string, string>>,
  metadata: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(subset)) {
    if (!Object.prototype.hasOwnProperty.call(metadata, key) || metadata[key] !== value) return false;
  }
  return true;
}

export function filterSubset<T extends Endpoint>(
  instances: readonly T[],
  subset: Readonly<Record<string, string>>,
): T[] {
  return instances.filter((i) => matchesSubset(subset, i.metadata));
}
