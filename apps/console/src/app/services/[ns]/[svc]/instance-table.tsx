'use client';

import { useEffect, useState } from 'react';
import type { Instance } from '@skyroad/governance';
import type { RegistryError } from '../../../../lib/registry-types';

type Live = 'connecting' | 'live' | 'reconnecting';

function byId(instances: Instance[]): Record<string, Instance> {
  return Object.fromEntries(instances.map((i) => [i.id, i]));
}

function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return iso;
  return seconds < 60 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

/**
 * The instances of one service, kept current by the registry's watch stream (proxied by
 * /api/registry with the session cookie), with the operator's controls: weight and enabled.
 */
export function InstanceTable({
  ns,
  svc,
  initial,
  initialRevision,
}: {
  ns: string;
  svc: string;
  initial: Instance[];
  initialRevision: number;
}) {
  const [instances, setInstances] = useState<Record<string, Instance>>(() => byId(initial));
  const [revision, setRevision] = useState(initialRevision);
  const [live, setLive] = useState<Live>('connecting');
  const [weights, setWeights] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>();
  const [now, setNow] = useState(() => Date.now());
  const api = `/api/registry/v1/namespaces/${ns}/services/${svc}`;

  useEffect(() => {
    const source = new EventSource(`${api}/watch`);
    source.onopen = () => setLive('live');
    source.onerror = () => setLive('reconnecting');
    source.addEventListener('snapshot', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        revision: number;
        instances: Instance[];
      };
      setInstances(byId(data.instances));
      setRevision(data.revision);
      setLive('live');
    });
    source.addEventListener('instance', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        revision: number;
        type: 'PUT' | 'DELETE';
        instance: Instance;
      };
      setInstances((current) => {
        const next = { ...current };
        if (data.type === 'DELETE') delete next[data.instance.id];
        else next[data.instance.id] = data.instance;
        return next;
      });
      setRevision((current) => Math.max(current, data.revision));
    });
    const clock = setInterval(() => setNow(Date.now()), 5000);
    return () => {
      source.close();
      clearInterval(clock);
    };
  }, [api]);

  async function change(id: string, patch: { weight?: number; enabled?: boolean }) {
    setError(undefined);
    const response = await fetch(`${api}/instances/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    const body = (await response.json().catch(() => ({}))) as Instance & RegistryError;
    if (!response.ok) {
      const reasons = body.reasons?.join('; ');
      setError(`${id}: ${reasons ?? body.message ?? response.statusText} (${response.status})`);
      return;
    }
    setInstances((current) => ({ ...current, [id]: body }));
    setWeights((current) => {
      const next = { ...current };
      delete next[id];
      return next;
    });
  }

  const rows = Object.values(instances).sort((a, b) => a.id.localeCompare(b.id));
  return (
    <>
      <p className="muted">
        <span className={`badge ${live === 'live' ? 'ok' : 'warn'}`} data-testid="live">
          {live === 'live' ? 'live' : live}
        </span>{' '}
        {rows.length} instance{rows.length === 1 ? '' : 's'} · store revision{' '}
        <span data-testid="revision">{revision}</span>
      </p>
      {error && (
        <div className="notice bad" role="alert">
          {error}
        </div>
      )}
      <div className="table-wrap">
        <table aria-label="Instances">
          <thead>
            <tr>
              <th>Instance</th>
              <th>Host</th>
              <th>Port</th>
              <th>Version</th>
              <th>Zone</th>
              <th>Weight</th>
              <th>Enabled</th>
              <th>Healthy</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((instance) => {
              const draft = weights[instance.id] ?? String(instance.weight);
              const weight = Number(draft);
              const weightValid =
                draft.trim() !== '' && Number.isInteger(weight) && weight >= 0 && weight <= 10000;
              return (
                <tr key={instance.id} data-instance={instance.id}>
                  <td className="mono">{instance.id}</td>
                  <td className="mono">{instance.host}</td>
                  <td>{instance.port}</td>
                  <td>{instance.metadata['version'] ?? '—'}</td>
                  <td>{instance.metadata['zone'] ?? '—'}</td>
                  <td>
                    <form
                      className="row"
                      onSubmit={(event) => {
                        event.preventDefault();
                        if (weightValid) void change(instance.id, { weight });
                      }}
                    >
                      <input
                        type="number"
                        min={0}
                        max={10000}
                        aria-label={`Weight of ${instance.id}`}
                        value={draft}
                        onChange={(event) => setWeights((w) => ({ ...w, [instance.id]: event.target.value }))}
                      />
                      <button type="submit" disabled={!weightValid || weight === instance.weight}>
                        Set
                      </button>
                    </form>
                    <span className="muted" data-testid="weight">
                      {instance.weight}
                    </span>
                  </td>
                  <td>
                    <span className={`badge ${instance.enabled ? 'ok' : 'off'}`}>
                      {instance.enabled ? 'on' : 'off'}
                    </span>{' '}
                    <button
                      type="button"
                      onClick={() => void change(instance.id, { enabled: !instance.enabled })}
                    >
                      {instance.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                  <td>
                    <span className={`badge ${instance.healthy ? 'ok' : 'bad'}`}>
                      {instance.healthy ? 'healthy' : 'unhealthy'}
                    </span>
                  </td>
                  <td title={instance.lastHeartbeatAt}>{ago(instance.lastHeartbeatAt, now)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
