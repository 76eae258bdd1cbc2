import { findSample, flatten, sumSamples, type Sample } from './prometheus';
import type { StoreClusterReport } from '@skyroad/governance';

/** One thing the cluster page shows, found in /ready (JSON) or /metrics, else "unknown". */
export interface ClusterFact {
  label: string;
  value: string;
  source: 'store' | 'ready' | 'metrics' | 'unknown';
}

interface FactSpec {
  label: string;
  /** Dotted /ready keys that may hold it, matched case-insensitively against the key's end. */
  readyKeys: RegExp[];
  /** Metric names that may hold it, in order of preference. */
  metrics: RegExp[];
  format?: (value: number) => string;
}

export const bytes = (n: number) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(2)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MiB`
      : `${Math.round(n / 1024)} KiB`;
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

const FACTS: FactSpec[] = [
  { label: 'Serving', readyKeys: [/(^|\.)(serving|mode|role|state)$/i], metrics: [] },
  {
    label: 'Store leader',
    readyKeys: [/(^|\.)leader(id|name|url)?$/i],
    metrics: [/^skyroad_store_leader(_id)?$/],
  },
  {
    label: 'Store members',
    readyKeys: [/(^|\.)members$/i, /(^|\.)endpoints$/i],
    metrics: [/^skyroad_store_members$/],
  },
  {
    label: 'Raft term',
    readyKeys: [/(^|\.)(raft)?term$/i],
    metrics: [/^skyroad_(store_)?raft_term$/, /raft_term$/],
  },
  {
    label: 'Raft index',
    readyKeys: [/(^|\.)(raft)?(applied|commit)?index$/i],
    metrics: [/^skyroad_(store_)?raft_(applied|commit)_index$/, /raft_(applied|commit)_index$/],
  },
  {
    label: 'DB size',
    readyKeys: [/(^|\.)db_?size(_?bytes)?$/i],
    metrics: [/^skyroad_store_db_size_bytes$/, /db_total_size_in_bytes$/, /db_size_bytes$/],
    format: bytes,
  },
  {
    label: 'Mirror lag',
    readyKeys: [/(^|\.)mirror.*lag.*$/i, /(^|\.)lag(revisions|ms)?$/i],
    metrics: [/^skyroad_registry_mirror_lag/, /mirror_lag/],
  },
  {
    label: 'Store revision',
    readyKeys: [/(^|\.)revision$/i],
    metrics: [/^skyroad_registry_store_revision$/],
  },
];

/** Hit rate of a cache layer from `<prefix>_hits_total` and `<prefix>_misses_total`, or a ratio gauge. */
function hitRate(samples: readonly Sample[], layer: 'l1' | 'l2'): string | undefined {
  const ratio = findSample(samples, [new RegExp(`cache_${layer}_hit_(ratio|rate)$`)]);
  if (ratio) return percent(ratio.value);
  const hitsName = samples.find((s) =>
    new RegExp(`(cache_|registry_)${layer}_hits_total$`).test(s.name),
  )?.name;
  const missesName = samples.find((s) =>
    new RegExp(`(cache_|registry_)${layer}_misses_total$`).test(s.name),
  )?.name;
  const hits = hitsName ? sumSamples(samples, hitsName) : undefined;
  const misses = missesName ? sumSamples(samples, missesName) : undefined;
  if (hits === undefined || misses === undefined) return undefined;
  return hits + misses === 0 ? 'no lookups yet' : percent(hits / (hits + misses));
}

/** What GET /v1/cluster says of a fact, when the store cluster answered. */
function fromStore(label: string, store: StoreClusterReport | undefined): string | undefined {
  if (!store?.reachable) return undefined;
  switch (label) {
    case 'Store leader': {
      const leader = store.members.find((m) => m.isLeader);
      return leader ? `${leader.name || leader.id} (${leader.id})` : store.leaderId;
    }
    case 'Store members':
      return store.members.length > 0
        ? `${store.members.length}: ${store.members.map((m) => m.name || m.id).join(', ')}`
        : undefined;
    case 'Raft term':
      return store.raftTerm === undefined ? undefined : String(store.raftTerm);
    case 'Raft index':
      return store.raftIndex === undefined ? undefined : String(store.raftIndex);
    case 'DB size':
      return store.dbSize === undefined ? undefined : bytes(store.dbSize);
    default:
      return undefined;
  }
}

/**
 * The facts the cluster page shows: from the store cluster's own report (GET /v1/cluster) when
 * there is one, else from /ready, else from /metrics, else "unknown".
 */
export function clusterFacts(
  ready: unknown,
  samples: readonly Sample[],
  store?: StoreClusterReport,
): ClusterFact[] {
  const readyEntries = ready === undefined ? [] : flatten(ready);
  const facts = FACTS.map((spec): ClusterFact => {
    const reported = fromStore(spec.label, store);
    if (reported !== undefined) return { label: spec.label, value: reported, source: 'store' };
    for (const key of spec.readyKeys) {
      const entry = readyEntries.find(([k]) => key.test(k));
      if (entry) return { label: spec.label, value: entry[1], source: 'ready' };
    }
    const sample = findSample(samples, spec.metrics);
    if (sample) {
      return {
        label: spec.label,
        value: spec.format ? spec.format(sample.value) : String(sample.value),
        source: 'metrics',
      };
    }
    return { label: spec.label, value: 'unknown', source: 'unknown' };
  });
  for (const layer of ['l1', 'l2'] as const) {
    const rate = hitRate(samples, layer);
    facts.push({
      label: `${layer.toUpperCase()} cache hit rate`,
      value: rate ?? 'unknown',
      source: rate ? 'metrics' : 'unknown',
    });
  }
  return facts;
}
