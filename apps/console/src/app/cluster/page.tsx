import { bytes, clusterFacts } from '../../lib/cluster-facts';
import { flatten, parsePrometheusText } from '../../lib/prometheus';
import { callRegistry } from '../../lib/registry';
import type { ClusterReport, StoreClusterReport } from '@skyroad/governance';
import { ActivityCharts } from './activity-charts';

export const dynamic = 'force-dynamic';

const show = (value: number | string | undefined) => (value === undefined ? 'unknown' : String(value));

/** One store cluster as GET /v1/cluster reports it: its facts, members and endpoints. */
function StoreClusterPanel({ cluster }: { cluster: StoreClusterReport }) {
  const facts: [string, string][] = [
    ['Leader', show(cluster.members.find((m) => m.isLeader)?.name ?? cluster.leaderId)],
    ['Raft term', show(cluster.raftTerm)],
    ['Raft index', show(cluster.raftIndex)],
    ['DB size', cluster.dbSize === undefined ? 'unknown' : bytes(cluster.dbSize)],
    ['Revision', show(cluster.revision)],
    ['Version', show(cluster.version)],
  ];
  return (
    <section className="panel" data-store-cluster={cluster.role} style={{ marginBottom: 16 }}>
      <h2 style={{ marginTop: 0 }}>
        {cluster.role === 'primary' ? 'Primary' : 'Standby'} store cluster{' '}
        <span
          className={`badge ${cluster.reachable ? 'ok' : 'bad'}`}
          data-testid={`${cluster.role}-reachable`}
        >
          {cluster.reachable ? 'reachable' : 'unreachable'}
        </span>
      </h2>
      {cluster.error && <p className="notice bad">{cluster.error}</p>}
      <div className="cards">
        {facts.map(([label, value]) => (
          <div key={label} className="card" data-store-fact={label}>
            <div className="label">{label}</div>
            <div className={`value${value === 'unknown' ? ' muted' : ''}`}>{value}</div>
          </div>
        ))}
      </div>
      {cluster.members.length > 0 && (
        <div className="table-wrap">
          <table aria-label={`Store members (${cluster.role})`}>
            <thead>
              <tr>
                <th>Name</th>
                <th>ID</th>
                <th>Role</th>
                <th>Peer URLs</th>
                <th>Client URLs</th>
              </tr>
            </thead>
            <tbody>
              {cluster.members.map((m) => (
                <tr key={m.id} data-member={m.name || m.id}>
                  <td>{m.name || <span className="muted">(not started)</span>}</td>
                  <td className="mono">{m.id}</td>
                  <td>
                    {m.isLeader ? (
                      <span className="badge ok">leader</span>
                    ) : m.isLearner ? (
                      <span className="badge warn">learner</span>
                    ) : (
                      'follower'
                    )}
                  </td>
                  <td className="mono">{m.peerURLs.join(', ')}</td>
                  <td className="mono">{m.clientURLs.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="table-wrap" style={{ marginTop: 12 }}>
        <table aria-label={`Store endpoints (${cluster.role})`}>
          <thead>
            <tr>
              <th>Endpoint</th>
              <th>Status</th>
              <th>Member</th>
              <th>Term</th>
              <th>Index</th>
              <th>DB size</th>
              <th>Revision</th>
            </tr>
          </thead>
          <tbody>
            {cluster.endpointStatus.map((e) => (
              <tr key={e.endpoint}>
                <td className="mono">{e.endpoint}</td>
                <td>
                  {e.reachable ? (
                    <span className="badge ok">answers</span>
                  ) : (
                    <span className="badge bad" title={e.error}>
                      {e.error ?? 'no answer'}
                    </span>
                  )}
                </td>
                <td className="mono">{e.memberId ?? ''}</td>
                <td>{e.raftTerm ?? ''}</td>
                <td>{e.raftIndex ?? ''}</td>
                <td>{e.dbSize === undefined ? '' : bytes(e.dbSize)}</td>
                <td>{e.revision ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * The registry's view of its store clusters and caches: GET /v1/cluster (members, leader, term,
 * index, db size), /ready and /metrics, and charts of the registry's activity drawn in the browser.
 */
export default async function ClusterPage() {
  const [ready, metrics, cluster] = await Promise.all([
    callRegistry<unknown>('/ready'),
    callRegistry<string>('/metrics'),
    callRegistry<ClusterReport>('/v1/cluster'),
  ]);
  const report = cluster.ok && cluster.body && typeof cluster.body === 'object' ? cluster.body : undefined;
  // /ready answers 503 with the same JSON body when not ready: still worth showing.
  const readyBody = ready.ok ? ready.body : (ready.error as unknown);
  const readyKnown = ready.status !== 502 && ready.status !== 404;
  const samples = metrics.ok && typeof metrics.body === 'string' ? parsePrometheusText(metrics.body) : [];
  const readyFacts = clusterFacts(readyKnown ? readyBody : undefined, samples);
  // The facts describe the store the registry serves from: the standby after a failover.
  const serving = readyFacts.find((f) => f.label === 'Serving')?.value;
  const facts = clusterFacts(
    readyKnown ? readyBody : undefined,
    samples,
    serving === 'standby' && report?.standby ? report.standby : report?.primary,
  );
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
      <ActivityCharts />
      {report ? (
        <>
          <StoreClusterPanel cluster={report.primary} />
          {report.standby && <StoreClusterPanel cluster={report.standby} />}
        </>
      ) : (
        <p className="muted" data-testid="store-cluster-unknown">
          Store cluster: unknown (the registry did not answer /v1/cluster
          {cluster.ok ? '' : `: ${cluster.status}`}).
        </p>
      )}
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
