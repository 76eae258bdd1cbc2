import { clusterFacts } from '../src/lib/cluster-facts';
import { parsePrometheusText } from '../src/lib/prometheus';

const METRICS = `
# HELP skyroad_registry_cache_l1_hits_total hits
# TYPE skyroad_registry_cache_l1_hits_total counter
skyroad_registry_cache_l1_hits_total{kind="instances"} 30
skyroad_registry_cache_l1_hits_total{kind="policy"} 60
skyroad_registry_cache_l1_misses_total 10
skyroad_store_db_size_bytes 3145728
skyroad_store_raft_term 7
weird_metric{label="a \\"quoted\\" value"} +Inf
`;

describe('cluster facts', () => {
  it('parses the Prometheus text format, labels and special values included', () => {
    const samples = parsePrometheusText(METRICS);
    expect(samples).toHaveLength(6);
    expect(samples[5]).toEqual({
      name: 'weird_metric',
      labels: { label: 'a "quoted" value' },
      value: Infinity,
    });
  });

  it('takes what /ready and /metrics say and calls the rest unknown', () => {
    const ready = { ready: true, serving: 'primary', store: { endpoints: ['http://a:2379'], revision: 42 } };
    const facts = Object.fromEntries(
      clusterFacts(ready, parsePrometheusText(METRICS)).map((f) => [f.label, f.value]),
    );
    expect(facts).toMatchObject({
      Serving: 'primary',
      'Store members': 'http://a:2379',
      'Store revision': '42',
      'Raft term': '7',
      'DB size': '3.0 MiB',
      'L1 cache hit rate': '90.0%',
      'L2 cache hit rate': 'unknown',
      'Store leader': 'unknown',
      'Mirror lag': 'unknown',
    });
  });

  it("reads the registry's own L1/L2 hit and miss counters", () => {
    const samples = parsePrometheusText(
      'skyroad_registry_l1_hits_total 3\nskyroad_registry_l1_misses_total 1\nskyroad_registry_l2_hits_total 0\nskyroad_registry_l2_misses_total 0',
    );
    const facts = Object.fromEntries(clusterFacts(undefined, samples).map((f) => [f.label, f.value]));
    expect(facts['L1 cache hit rate']).toBe('75.0%');
    expect(facts['L2 cache hit rate']).toBe('no lookups yet');
  });

  it('says unknown for everything when the registry gives nothing', () => {
    expect(clusterFacts(undefined, []).every((f) => f.value === 'unknown')).toBe(true);
  });
});
