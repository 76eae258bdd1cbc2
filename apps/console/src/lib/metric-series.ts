import { parsePrometheusText, type Sample } from './prometheus';

/*
 * The cluster page's charts: what one scrape of the registry's /metrics says (gauges as they
 * are, counters as running totals), and a short history of points where counters have become
 * per-second rates by differencing consecutive scrapes.
 */

/** Gauges and counter totals read from one scrape; undefined where the registry says nothing. */
export interface Scrape {
  /** When it was taken (ms since the epoch, the browser's clock). */
  at: number;
  instances?: number;
  healthy?: number;
  /** Running total of heartbeat requests answered (any status). */
  heartbeats?: number;
  /** Running total of discovery requests answered: instance lists and watch streams. */
  discoveries?: number;
}

/** One point of the charts. Rates are per second over the interval ending at `at`. */
export interface DashboardPoint {
  at: number;
  instances?: number;
  healthy?: number;
  heartbeatRate?: number;
  discoveryRate?: number;
}

export const INSTANCES_METRIC = 'skyroad_registry_instances';
export const HEALTHY_INSTANCES_METRIC = 'skyroad_registry_healthy_instances';
export const HTTP_REQUESTS_METRIC = 'skyroad_registry_http_requests_total';

/** How many minutes of points the charts keep. */
export const DEFAULT_WINDOW_MS = 10 * 60 * 1000;

const HEARTBEAT_ROUTE = /\/instances\/:[^/]+\/heartbeat$/;
const DISCOVERY_ROUTE = /\/services\/:[^/]+\/(instances|watch)$/;

function gauge(samples: readonly Sample[], name: string): number | undefined {
  const matching = samples.filter((s) => s.name === name && Number.isFinite(s.value));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

/**
 * Sum of a counter over the label sets `keep` accepts. Undefined when the counter is absent
 * altogether; 0 when it exists but no label set matches yet (nothing of that kind happened).
 */
export function counterTotal(
  samples: readonly Sample[],
  name: string,
  keep: (labels: Record<string, string>) => boolean = () => true,
): number | undefined {
  const all = samples.filter((s) => s.name === name);
  if (all.length === 0) return undefined;
  return all.filter((s) => keep(s.labels) && Number.isFinite(s.value)).reduce((sum, s) => sum + s.value, 0);
}

/** What the charts need from one scrape's samples. */
export function scrapeFromSamples(samples: readonly Sample[], at: number): Scrape {
  const method = (labels: Record<string, string>) => (labels['method'] ?? '').toUpperCase();
  return {
    at,
    instances: gauge(samples, INSTANCES_METRIC),
    healthy: gauge(samples, HEALTHY_INSTANCES_METRIC),
    heartbeats: counterTotal(
      samples,
      HTTP_REQUESTS_METRIC,
      (l) => method(l) === 'PUT' && HEARTBEAT_ROUTE.test(l['route'] ?? ''),
    ),
    discoveries: counterTotal(
      samples,
      HTTP_REQUESTS_METRIC,
      (l) => method(l) === 'GET' && DISCOVERY_ROUTE.test(l['route'] ?? ''),
    ),
  };
}

export function parseScrape(text: string, at: number): Scrape {
  return scrapeFromSamples(parsePrometheusText(text), at);
}

/**
 * Per-second rate of a counter between two readings. A smaller later reading means the counter
 * was reset (the registry restarted): what was counted since the reset is the later reading, as
 * Prometheus's rate() assumes. Undefined without both readings or without time between them.
 */
export function counterRate(
  before: number | undefined,
  after: number | undefined,
  seconds: number,
): number | undefined {
  if (before === undefined || after === undefined || !(seconds > 0)) return undefined;
  const increase = after >= before ? after - before : after;
  return increase / seconds;
}

/** The point a scrape makes, given the scrape before it (undefined for the first one). */
export function pointFrom(previous: Scrape | undefined, current: Scrape): DashboardPoint {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  return {
    at: current.at,
    instances: current.instances,
    healthy: current.healthy,
    heartbeatRate: counterRate(previous?.heartbeats, current.heartbeats, seconds),
    discoveryRate: counterRate(previous?.discoveries, current.discoveries, seconds),
  };
}

/** The history with the point of `current` appended, and points older than `windowMs` dropped. */
export function appendPoint(
  history: readonly DashboardPoint[],
  previous: Scrape | undefined,
  current: Scrape,
  windowMs: number = DEFAULT_WINDOW_MS,
): DashboardPoint[] {
  const since = current.at - windowMs;
  return [...history.filter((p) => p.at >= since && p.at < current.at), pointFrom(previous, current)];
}

/** The (time, value) pairs of one field, skipping points where it is unknown. */
export function seriesOf(
  history: readonly DashboardPoint[],
  field: Exclude<keyof DashboardPoint, 'at'>,
): { at: number; value: number }[] {
  const out: { at: number; value: number }[] = [];
  for (const point of history) {
    const value = point[field];
    if (value !== undefined && Number.isFinite(value)) out.push({ at: point.at, value });
  }
  return out;
}
