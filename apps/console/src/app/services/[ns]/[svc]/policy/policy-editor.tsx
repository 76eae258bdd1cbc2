'use client';

import { useMemo, useState, type ReactNode } from 'react';
import { RETRY_CONDITIONS, STRATEGIES, trafficSplit, validatePolicy, type Policy } from '@skyroad/governance';
import { DiffView } from '../../../../../components/diff-view';
import { SplitBar } from '../../../../../components/split-bar';
import { diffDocuments, hasChanges } from '../../../../../lib/json-diff';
import {
  CIRCUIT_BREAKER_FIELDS,
  draftToDocument,
  emptyDestination,
  errorsByPath,
  parseMap,
  policyToDraft,
  presetDestinations,
  type DestinationDraft,
  type PolicyDraft,
} from '../../../../../lib/policy-draft';
import type { Instance, PolicyRecord } from '@skyroad/governance';
import type { RegistryError } from '../../../../../lib/registry-types';

const STRATEGY_LABELS: Record<string, string> = {
  round_robin: 'Round robin',
  weighted_round_robin: 'Weighted round robin',
  random: 'Random',
  least_request: 'Least request',
  consistent_hash: 'Consistent hash',
  p2c: 'Power of two choices',
};

const CIRCUIT_BREAKER_LABELS: Record<(typeof CIRCUIT_BREAKER_FIELDS)[number], string> = {
  errorRatePercent: 'Error rate to open (%)',
  minRequests: 'Minimum requests',
  windowMs: 'Window (ms)',
  openMs: 'Open for (ms)',
  halfOpenRequests: 'Half-open probes',
};

type Status = { kind: 'saved'; revision: number } | { kind: 'failed'; message: string } | undefined;

export function PolicyEditor({
  ns,
  svc,
  initial,
  instances,
}: {
  ns: string;
  svc: string;
  initial: PolicyRecord | null;
  instances: Instance[];
}) {
  const [current, setCurrent] = useState<PolicyRecord | null>(initial);
  const [draft, setDraft] = useState<PolicyDraft>(() => policyToDraft(initial?.policy));
  const [serverErrors, setServerErrors] = useState<string[]>([]);
  const [status, setStatus] = useState<Status>();
  const [saving, setSaving] = useState(false);
  const [preset, setPreset] = useState({ key: 'version', stable: 'v1', next: 'v2', percent: '10' });

  const { document, problems } = useMemo(() => draftToDocument(draft), [draft]);
  const validation = useMemo(() => validatePolicy(document), [document]);
  const clientErrors = [...problems, ...(validation.ok ? [] : validation.errors)];
  const errors = clientErrors.length > 0 ? clientErrors : serverErrors;
  const byPath = useMemo(() => errorsByPath(errors), [errors]);
  const diff = useMemo(() => diffDocuments(current?.policy ?? {}, document), [current, document]);
  const changed = hasChanges(diff);

  const versions = useMemo(() => {
    const seen = new Set<string>();
    for (const i of instances) if (i.metadata['version']) seen.add(i.metadata['version']);
    return [...seen].sort();
  }, [instances]);

  function update(change: (d: PolicyDraft) => void) {
    setDraft((d) => {
      const next = structuredClone(d);
      change(next);
      return next;
    });
    setStatus(undefined);
    setServerErrors([]);
  }

  async function save() {
    if (clientErrors.length > 0) {
      setStatus({ kind: 'failed', message: 'Fix the problems marked below first.' });
      return;
    }
    setSaving(true);
    try {
      const response = await fetch(`/api/registry/v1/namespaces/${ns}/services/${svc}/policy`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(document),
      });
      const body = (await response.json().catch(() => ({}))) as PolicyRecord & RegistryError;
      if (response.ok) {
        setCurrent(body);
        setDraft(policyToDraft(body.policy));
        setServerErrors([]);
        setStatus({ kind: 'saved', revision: body.revision });
      } else if (response.status === 400 && body.reasons) {
        setServerErrors(body.reasons);
        setStatus({ kind: 'failed', message: 'The registry refused the policy.' });
      } else if (response.status === 403) {
        setStatus({
          kind: 'failed',
          message: `You may not change this policy: ${body.message ?? 'forbidden'}`,
        });
      } else if (response.status === 401) {
        setStatus({ kind: 'failed', message: 'Your session has ended; sign in again.' });
      } else {
        setStatus({ kind: 'failed', message: body.message ?? `Saving failed (${response.status}).` });
      }
    } finally {
      setSaving(false);
    }
  }

  const errorsAt = (path: string) => byPath.get(path) ?? [];
  const errorsUnder = (path: string) =>
    [...byPath.entries()].filter(([p]) => p === path || p.startsWith(`${path}.`)).flatMap(([, r]) => r);

  const validPolicy: Policy | undefined = validation.ok ? validation.policy : undefined;
  const routable = instances.filter((i) => i.enabled && i.healthy);
  const shares = validPolicy ? trafficSplit(validPolicy, routable) : [];

  return (
    <div className="grid2">
      <div>
        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Load balancing</h2>
          <div className="row">
            <div>
              <label htmlFor="strategy">Load balancing strategy</label>
              <select
                id="strategy"
                value={draft.strategy}
                onChange={(e) => update((d) => void (d.strategy = e.target.value))}
              >
                <option value="">Default (round robin)</option>
                {STRATEGIES.map((s) => (
                  <option key={s} value={s}>
                    {STRATEGY_LABELS[s] ?? s}
                  </option>
                ))}
              </select>
              <FieldErrors messages={errorsAt('loadBalancer.strategy')} />
            </div>
            {(draft.strategy === 'consistent_hash' || draft.hashOn !== '') && (
              <div>
                <label htmlFor="hashOn">Hash on</label>
                <input
                  id="hashOn"
                  placeholder="header:x-user-id"
                  value={draft.hashOn}
                  onChange={(e) => update((d) => void (d.hashOn = e.target.value))}
                />
                <FieldErrors messages={errorsAt('loadBalancer.hashOn')} />
              </div>
            )}
          </div>
          <FieldErrors messages={errorsAt('loadBalancer')} />
        </section>

        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Routes</h2>
          <p className="muted">Tried in order; the first whose match holds picks the destinations.</p>
          {draft.routes.map((route, r) => (
            <fieldset key={r} className="fieldset" aria-label={`Route ${r + 1}`}>
              <legend>Route {r + 1}</legend>
              <div className="row">
                <div style={{ flex: 1 }}>
                  <label htmlFor={`route-${r}-name`}>Route name</label>
                  <input
                    id={`route-${r}-name`}
                    className="wide"
                    value={route.name}
                    onChange={(e) => update((d) => void (d.routes[r].name = e.target.value))}
                  />
                  <FieldErrors messages={errorsAt(`routes[${r}].name`)} />
                </div>
                <button
                  type="button"
                  className="danger"
                  onClick={() => update((d) => void d.routes.splice(r, 1))}
                >
                  Remove route
                </button>
              </div>
              <label htmlFor={`route-${r}-headers`}>Match headers (name=value, …)</label>
              <input
                id={`route-${r}-headers`}
                className="wide"
                placeholder="x-canary=1"
                value={route.headers}
                onChange={(e) => update((d) => void (d.routes[r].headers = e.target.value))}
              />
              <FieldErrors messages={errorsUnder(`routes[${r}].match.headers`)} />
              <label htmlFor={`route-${r}-caller`}>Match caller metadata (name=value, …)</label>
              <input
                id={`route-${r}-caller`}
                className="wide"
                placeholder="team=qa"
                value={route.callerMetadata}
                onChange={(e) => update((d) => void (d.routes[r].callerMetadata = e.target.value))}
              />
              <FieldErrors messages={errorsUnder(`routes[${r}].match.callerMetadata`)} />
              <Destinations
                idPrefix={`route-${r}`}
                path={`routes[${r}].destinations`}
                list={route.destinations}
                errorsAt={errorsAt}
                errorsUnder={errorsUnder}
                onChange={(change) => update((d) => change(d.routes[r].destinations))}
              />
              <FieldErrors messages={errorsAt(`routes[${r}]`)} />
            </fieldset>
          ))}
          <FieldErrors messages={errorsAt('routes')} />
          <button
            type="button"
            onClick={() =>
              update((d) =>
                d.routes.push({
                  name: `route-${d.routes.length + 1}`,
                  headers: '',
                  callerMetadata: '',
                  destinations: [emptyDestination()],
                }),
              )
            }
          >
            Add route
          </button>
        </section>

        <section className="panel">
          <h2 style={{ marginTop: 0 }}>
            <label className="inline" style={{ fontWeight: 600 }}>
              <input
                type="checkbox"
                checked={draft.defaultRoute.enabled}
                onChange={(e) => update((d) => void (d.defaultRoute.enabled = e.target.checked))}
              />
              Default route
            </label>
          </h2>
          <p className="muted">
            Where traffic goes when no route matches. Without it: every healthy, enabled instance.
          </p>
          {draft.defaultRoute.enabled && (
            <>
              <Destinations
                idPrefix="default"
                path="defaultRoute.destinations"
                list={draft.defaultRoute.destinations}
                errorsAt={errorsAt}
                errorsUnder={errorsUnder}
                onChange={(change) => update((d) => change(d.defaultRoute.destinations))}
              />
              <div className="fieldset">
                <strong>Rollout presets</strong>
                <div className="row">
                  <div>
                    <label htmlFor="preset-key">Metadata key</label>
                    <input
                      id="preset-key"
                      value={preset.key}
                      onChange={(e) => setPreset({ ...preset, key: e.target.value })}
                    />
                  </div>
                  <div>
                    <label htmlFor="preset-stable">Stable</label>
                    <input
                      id="preset-stable"
                      list="versions"
                      value={preset.stable}
                      onChange={(e) => setPreset({ ...preset, stable: e.target.value })}
                    />
                  </div>
                  <div>
                    <label htmlFor="preset-next">New</label>
                    <input
                      id="preset-next"
                      list="versions"
                      value={preset.next}
                      onChange={(e) => setPreset({ ...preset, next: e.target.value })}
                    />
                  </div>
                  <div>
                    <label htmlFor="preset-percent">New gets (%)</label>
                    <input
                      id="preset-percent"
                      type="number"
                      min={0}
                      max={100}
                      value={preset.percent}
                      onChange={(e) => setPreset({ ...preset, percent: e.target.value })}
                    />
                  </div>
                  <datalist id="versions">
                    {versions.map((v) => (
                      <option key={v} value={v} />
                    ))}
                  </datalist>
                </div>
                <div className="row" style={{ marginTop: 8 }}>
                  {(['canary', 'gray', 'blue-green'] as const).map((kind) => (
                    <button
                      key={kind}
                      type="button"
                      onClick={() =>
                        update(
                          (d) =>
                            void (d.defaultRoute.destinations = presetDestinations(
                              kind,
                              preset.key,
                              preset.stable,
                              preset.next,
                              Number(preset.percent) || 0,
                            )),
                        )
                      }
                    >
                      {kind === 'canary' ? 'Canary' : kind === 'gray' ? 'Gray release' : 'Blue-green switch'}
                    </button>
                  ))}
                </div>
              </div>
            </>
          )}
        </section>

        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Resilience</h2>
          <Toggle
            label="Circuit breaker"
            checked={draft.circuitBreaker.enabled}
            onChange={(on) => update((d) => void (d.circuitBreaker.enabled = on))}
          >
            <div className="row">
              {CIRCUIT_BREAKER_FIELDS.map((field) => (
                <div key={field}>
                  <label htmlFor={`cb-${field}`}>{CIRCUIT_BREAKER_LABELS[field]}</label>
                  <input
                    id={`cb-${field}`}
                    type="text"
                    inputMode="numeric"
                    size={8}
                    value={draft.circuitBreaker[field]}
                    onChange={(e) => update((d) => void (d.circuitBreaker[field] = e.target.value))}
                  />
                  <FieldErrors messages={errorsAt(`circuitBreaker.${field}`)} />
                </div>
              ))}
            </div>
          </Toggle>
          <Toggle
            label="Rate limit"
            checked={draft.rateLimit.enabled}
            onChange={(on) => update((d) => void (d.rateLimit.enabled = on))}
          >
            <div className="row">
              <div>
                <label htmlFor="rl-rps">Requests per second</label>
                <input
                  id="rl-rps"
                  inputMode="decimal"
                  size={8}
                  value={draft.rateLimit.requestsPerSecond}
                  onChange={(e) => update((d) => void (d.rateLimit.requestsPerSecond = e.target.value))}
                />
                <FieldErrors
                  messages={[...errorsAt('rateLimit.requestsPerSecond'), ...errorsAt('rateLimit')]}
                />
              </div>
              <div>
                <label htmlFor="rl-burst">Burst</label>
                <input
                  id="rl-burst"
                  inputMode="numeric"
                  size={8}
                  value={draft.rateLimit.burst}
                  onChange={(e) => update((d) => void (d.rateLimit.burst = e.target.value))}
                />
                <FieldErrors messages={errorsAt('rateLimit.burst')} />
              </div>
            </div>
          </Toggle>
          <div>
            <label htmlFor="timeoutMs">Timeout (ms)</label>
            <input
              id="timeoutMs"
              inputMode="numeric"
              size={8}
              placeholder="none"
              value={draft.timeoutMs}
              onChange={(e) => update((d) => void (d.timeoutMs = e.target.value))}
            />
            <FieldErrors messages={errorsAt('timeoutMs')} />
          </div>
          <Toggle
            label="Retries"
            checked={draft.retry.enabled}
            onChange={(on) => update((d) => void (d.retry.enabled = on))}
          >
            <div className="row">
              <div>
                <label htmlFor="retry-attempts">Attempts</label>
                <input
                  id="retry-attempts"
                  inputMode="numeric"
                  size={4}
                  value={draft.retry.attempts}
                  onChange={(e) => update((d) => void (d.retry.attempts = e.target.value))}
                />
                <FieldErrors messages={errorsAt('retry.attempts')} />
              </div>
              <div>
                <span style={{ display: 'block', fontWeight: 600, margin: '8px 0 4px' }}>Retry on</span>
                {RETRY_CONDITIONS.map((condition) => (
                  <label key={condition} className="inline">
                    <input
                      type="checkbox"
                      checked={draft.retry.on.includes(condition)}
                      onChange={(e) =>
                        update((d) => {
                          d.retry.on = e.target.checked
                            ? RETRY_CONDITIONS.filter((c) => c === condition || d.retry.on.includes(c))
                            : d.retry.on.filter((c) => c !== condition);
                        })
                      }
                    />
                    {condition}
                  </label>
                ))}
                <FieldErrors messages={errorsUnder('retry.on')} />
              </div>
            </div>
          </Toggle>
        </section>
      </div>

      <div>
        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Traffic split</h2>
          {draft.routes.map((route, r) => (
            <SplitBar
              key={r}
              title={`Route ${route.name || r + 1}`}
              segments={destinationSegments(route.destinations)}
            />
          ))}
          {draft.defaultRoute.enabled ? (
            <SplitBar title="Default route" segments={destinationSegments(draft.defaultRoute.destinations)} />
          ) : (
            <p className="muted">Default: every healthy, enabled instance.</p>
          )}
          <h3>By instance (default route)</h3>
          {!validPolicy ? (
            <p className="muted">Shown once the policy is valid.</p>
          ) : routable.length === 0 ? (
            <p className="muted">No healthy, enabled instance.</p>
          ) : (
            <SplitBar
              title="Instances"
              segments={shares.map((s) => ({
                label: `${s.instance.id}${s.instance.metadata['version'] ? ` (${s.instance.metadata['version']})` : ''}`,
                value: s.share,
              }))}
            />
          )}
        </section>

        <section className="panel">
          <h2 style={{ marginTop: 0 }}>Changes</h2>
          <p className="muted">
            {current
              ? `Against the current version: revision ${current.revision}, by ${current.updatedBy} at ${new Date(current.updatedAt).toLocaleString()}.`
              : 'The service has no policy yet.'}
          </p>
          {changed ? <DiffView lines={diff} label="Policy diff" /> : <p className="muted">No changes.</p>}
          {errors.length > 0 && (
            <div className="notice bad" role="alert" aria-label="Policy problems">
              {errors.length} problem{errors.length === 1 ? '' : 's'}:
              <ul>
                {errors.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </div>
          )}
          {status?.kind === 'saved' && (
            <div className="notice ok" role="status">
              Saved: revision {status.revision}.
            </div>
          )}
          {status?.kind === 'failed' && (
            <div className="notice bad" role="alert">
              {status.message}
            </div>
          )}
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={saving || !changed}
              onClick={() => void save()}
            >
              Save policy
            </button>
            <button
              type="button"
              disabled={!changed}
              onClick={() => update((d) => Object.assign(d, policyToDraft(current?.policy)))}
            >
              Discard changes
            </button>
          </div>
        </section>
      </div>
    </div>
  );
}

function destinationSegments(list: DestinationDraft[]) {
  return list.map((d) => ({
    label: d.subset.trim() === '' ? 'all instances' : formatSubset(d.subset),
    value: Number(d.weight) || 0,
  }));
}

function formatSubset(text: string): string {
  const { map } = parseMap(text);
  return Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function FieldErrors({ messages }: { messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="error" role="alert">
      {messages.join('; ')}
    </div>
  );
}

function Toggle({
  label,
  checked,
  onChange,
  children,
}: {
  label: string;
  checked: boolean;
  onChange: (on: boolean) => void;
  children: ReactNode;
}) {
  return (
    <div className="fieldset">
      <label className="inline" style={{ fontWeight: 600 }}>
        <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
      {checked && children}
    </div>
  );
}

function Destinations({
  idPrefix,
  path,
  list,
  errorsAt,
  errorsUnder,
  onChange,
}: {
  idPrefix: string;
  path: string;
  list: DestinationDraft[];
  errorsAt: (path: string) => string[];
  errorsUnder: (path: string) => string[];
  onChange: (change: (list: DestinationDraft[]) => void) => void;
}) {
  return (
    <div>
      <strong>Destinations</strong>{' '}
      <span className="muted">(subset as name=value; weights add up to 100)</span>
      {list.map((destination, i) => (
        <div key={i}>
          <div className="dest">
            <input
              aria-label={`${idPrefix} destination ${i + 1} subset`}
              placeholder="version=v2"
              value={destination.subset}
              onChange={(e) => onChange((l) => void (l[i].subset = e.target.value))}
            />
            <input
              aria-label={`${idPrefix} destination ${i + 1} weight`}
              inputMode="numeric"
              value={destination.weight}
              onChange={(e) => onChange((l) => void (l[i].weight = e.target.value))}
            />
            <button
              type="button"
              onClick={() => onChange((l) => void l.splice(i, 1))}
              aria-label={`Remove ${idPrefix} destination ${i + 1}`}
            >
              ✕
            </button>
          </div>
          <FieldErrors
            messages={[
              ...errorsUnder(`${path}[${i}].subset`),
              ...errorsAt(`${path}[${i}].weight`),
              ...errorsAt(`${path}[${i}]`),
            ]}
          />
        </div>
      ))}
      <FieldErrors messages={errorsAt(path)} />
      <button type="button" onClick={() => onChange((l) => void l.push(emptyDestination(0)))}>
        Add destination
      </button>
    </div>
  );
}
