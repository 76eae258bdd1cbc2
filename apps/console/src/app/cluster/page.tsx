import { clusterFacts } from '../../lib/cluster-facts';
import { flatten, parsePrometheusText } from '../../lib/prometheus';
import { callRegistry } from '../../lib/registry';

export const dynamic = 'force-dynamic';

/** The registry's view of its store cluster and caches, from /ready and /metrics. */
export default async function ClusterPage() {
  const [ready, metrics] = await Promise.all([
    callRegistry<unknown>('/ready'),
    callRegistry<string>('/metrics'),
  ]);
  // /ready answers 503 with the same JSON body when not ready: still worth showing.
  const readyBody = ready.ok ? ready.body : (ready.error as unknown);
  const readyKnown = ready.status !== 502 && ready.status !== 404;
  const samples = metrics.ok && typeof metrics.body === 'string' ? parsePrometheusText(metrics.body) : [];
  const facts = clusterFacts(readyKnown ? readyBody : undefined, samples);
  // Histogram buckets are for graphs, not for reading.
  const ours = samples.filter((s) => s.name.startsWith('skyroad_') && !s.name.endsWith('_bucket'));
  return (
    <>
      <h1>Cluster</h1>
      <p className="muted">
        Registry readiness:{' '}
        <span className={`badge ${ready.ok ? 'ok' : 'bad'}`} data-testid="readiness">
          {ready.ok ? 'ready' : ready.status === 502 ? 'unreachable' : `not ready (${ready.status})`}
        </span>
      </p>
      <div className="cards">
        {facts.map((fact) => (
          <div key={fact.label} className="card" data-fact={fact.label}>
            <div className="label">{fact.label}</div>
            <div className={`value${fact.source === 'unknown' ? ' muted' : ''}`}>{fact.value}</div>
          </div>
        ))}
      </div>
      <div className="grid2">
        <section className="panel">
          <h2 style={{ marginTop: 0 }}>/ready</h2>
          {readyKnown ? (
            <dl className="kv">
              {flatten(readyBody).map(([key, value]) => (
                <div key={key} style={{ display: 'contents' }}>
                  <dt className="mono">{key}</dt>
                  <dd className="mono">{value}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">unknown</p>
          )}
        </section>
        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Skyroad metrics</h2>
          {ours.length === 0 ? (
            <p className="muted">unknown</p>
          ) : (
            <div className="table-wrap" style={{ maxHeight: 480 }}>
              <table aria-label="Metrics" style={{ tableLayout: 'fixed' }}>
                <tbody>
                  {ours.slice(0, 300).map((s, i) => (
                    <tr key={i}>
                      <td className="mono" style={{ overflowWrap: 'anywhere' }}>
                        {s.name}
                        {Object.keys(s.labels).length > 0 &&
                          `{${Object.entries(s.labels)
                            .map(([k, v]) => `${k}="${v}"`)
                            .join(',')}}`}
                      </td>
                      <td className="mono" style={{ width: 110, textAlign: 'right' }}>
                        {s.value}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
    </>
  );
}
