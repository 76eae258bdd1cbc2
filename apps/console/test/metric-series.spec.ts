import { formatValue, niceMax, polylinePoints, toPixel } from '../src/lib/chart-scale';
import { clusterFacts } from '../src/lib/cluster-facts';
import {
  appendPoint,
  counterRate,
  counterTotal,
  parseScrape,
  pointFrom,
  seriesOf,
  type Scrape,
} from '../src/lib/metric-series';
import { parsePrometheusText } from '../src/lib/prometheus';
import type { StoreClusterReport } from '@skyroad/governance';

/** /metrics as the registry writes it (prom-client), trimmed to what the charts read. */
const scrapeText = (heartbeats: number, lists: number, watches: number) => `
# HELP skyroad_registry_http_requests_total HTTP requests answered, by method, route and status code
# TYPE skyroad_registry_http_requests_total counter
skyroad_registry_http_requests_total{method="PUT",route="/v1/namespaces/:ns/services/:svc/instances/:id/heartbeat",status="200"} ${heartbeats}
skyroad_registry_http_requests_total{method="PUT",route="/v1/namespaces/:ns/services/:svc/instances/:id/heartbeat",status="404"} 2
skyroad_registry_http_requests_total{method="GET",route="/v1/namespaces/:ns/services/:svc/instances",status="200"} ${lists}
skyroad_registry_http_requests_total{method="POST",route="/v1/namespaces/:ns/services/:svc/instances",status="201"} 40
skyroad_registry_http_requests_total{method="GET",route="/v1/namespaces/:ns/services/:svc/watch",status="200"} ${watches}
skyroad_registry_http_requests_total{method="GET",route="/metrics",status="200"} 77
# HELP skyroad_registry_instances Registered instances (all namespaces)
# TYPE skyroad_registry_instances gauge
skyroad_registry_instances 5
# TYPE skyroad_registry_healthy_instances gauge
skyroad_registry_healthy_instances 4
skyroad_registry_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/metrics"} 77
`;

describe('metrics for the charts', () => {
  it('reads gauges and sums the heartbeat and discovery counters by method and route', () => {
    const scrape = parseScrape(scrapeText(100, 30, 3), 1_000);
    expect(scrape).toEqual({ at: 1_000, instances: 5, healthy: 4, heartbeats: 102, discoveries: 33 });
  });

  it('says unknown for what the registry does not expose, and 0 for a counter with nothing counted yet', () => {
    expect(parseScrape('', 5)).toEqual({ at: 5 });
    const onlyMetrics = parsePrometheusText(
      'skyroad_registry_http_requests_total{method="GET",route="/metrics",status="200"} 3',
    );
    expect(
      counterTotal(onlyMetrics, 'skyroad_registry_http_requests_total', (l) => l['method'] === 'PUT'),
    ).toBe(0);
    expect(counterTotal(onlyMetrics, 'absent_total')).toBeUndefined();
  });

  it('turns counters into per-second rates by differencing, and survives a counter reset', () => {
    expect(counterRate(100, 130, 3)).toBe(10);
    expect(counterRate(100, 100, 3)).toBe(0);
    // The registry restarted: 6 counted since, over 3 s.
    expect(counterRate(500, 6, 3)).toBe(2);
    expect(counterRate(undefined, 6, 3)).toBeUndefined();
    expect(counterRate(1, 6, 0)).toBeUndefined();
  });

  it('makes points from consecutive scrapes: no rate for the first, rates after', () => {
    const first = parseScrape(scrapeText(100, 30, 3), 10_000);
    const second = parseScrape(scrapeText(115, 60, 3), 13_000);
    expect(pointFrom(undefined, first)).toEqual({
      at: 10_000,
      instances: 5,
      healthy: 4,
      heartbeatRate: undefined,
      discoveryRate: undefined,
    });
    expect(pointFrom(first, second)).toEqual({
      at: 13_000,
      instances: 5,
      healthy: 4,
      heartbeatRate: 5,
      discoveryRate: 10,
    });
  });

  it('keeps only the last minutes of points, in time order', () => {
    let history = appendPoint([], undefined, { at: 0, instances: 1, heartbeats: 0 }, 60_000);
    let previous: Scrape = { at: 0, instances: 1, heartbeats: 0 };
    for (let at = 20_000; at <= 100_000; at += 20_000) {
      const scrape: Scrape = { at, instances: at / 20_000 + 1, heartbeats: at / 1000 };
      history = appendPoint(history, previous, scrape, 60_000);
      previous = scrape;
    }
    expect(history.map((p) => p.at)).toEqual([40_000, 60_000, 80_000, 100_000]);
    expect(seriesOf(history, 'heartbeatRate').map((p) => p.value)).toEqual([1, 1, 1, 1]);
    expect(seriesOf(history, 'instances').map((p) => p.value)).toEqual([3, 4, 5, 6]);
    expect(seriesOf(history, 'healthy')).toEqual([]);
  });
});

describe('chart scaling', () => {
  it('rounds the y axis up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.3, 0.1)).toBe(0.5);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(12)).toBe(20);
    expect(niceMax(200)).toBe(200);
    expect(niceMax(Number.NaN)).toBe(1);
  });

  it('maps time left to right and values bottom to top inside the padding', () => {
    const frame = { width: 120, height: 60, from: 0, to: 100, yMax: 10, pad: 10 };
    expect(toPixel({ at: 0, value: 0 }, frame)).toEqual({ x: 10, y: 50 });
    expect(toPixel({ at: 100, value: 10 }, frame)).toEqual({ x: 110, y: 10 });
    expect(toPixel({ at: 50, value: 50 }, frame)).toEqual({ x: 60, y: 10 });
    expect(
      polylinePoints(
        [
          { at: 0, value: 5 },
          { at: 100, value: 0 },
        ],
        frame,
      ),
    ).toBe('10,30 110,50');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(2.345)).toBe('2.35');
    expect(formatValue(12.34)).toBe('12.3');
  });
});

describe('cluster facts from the store cluster report', () => {
  const store: StoreClusterReport = {
    role: 'primary',
    endpoints: ['http://a:2379', 'http://b:2379'],
    reachable: true,
    leaderId: 'b2',
    raftTerm: 4,
    raftIndex: 321,
    dbSize: 2 * 1024 * 1024,
    revision: 99,
    version: '3.5.16',
    members: [
      {
        id: 'a1',
        name: 'n1',
        peerURLs: [],
        clientURLs: ['http://a:2379'],
        isLearner: false,
        isLeader: false,
      },
      { id: 'b2', name: 'n2', peerURLs: [], clientURLs: ['http://b:2379'], isLearner: false, isLeader: true },
    ],
    endpointStatus: [],
  };

  it('prefers what the store says over /ready and /metrics', () => {
    const facts = Object.fromEntries(
      clusterFacts({ serving: 'primary' }, parsePrometheusText('skyroad_store_raft_term 1'), store).map(
        (f) => [f.label, [f.value, f.source]],
      ),
    );
    expect(facts).toMatchObject({
      'Store leader': ['n2 (b2)', 'store'],
      'Store members': ['2: n1, n2', 'store'],
      'Raft term': ['4', 'store'],
      'Raft index': ['321', 'store'],
      'DB size': ['2.0 MiB', 'store'],
      Serving: ['primary', 'ready'],
    });
  });

  it('falls back to /ready and /metrics when the store cluster does not answer', () => {
    const down: StoreClusterReport = { ...store, reachable: false, members: [], error: 'no answer' };
    const facts = Object.fromEntries(
      clusterFacts(undefined, parsePrometheusText('skyroad_store_raft_term 1'), down).map((f) => [
        f.label,
        f.value,
      ]),
    );
    expect(facts['Raft term']).toBe('1');
    expect(facts['Store leader']).toBe('unknown');
  });
});
