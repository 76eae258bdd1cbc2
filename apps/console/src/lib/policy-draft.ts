import type { Policy } from '@skyroad/governance';

/*
 * The policy editor edits a draft: the policy document with every number kept as the text the
 * operator typed and every map as "name=value, name=value" text. draftToDocument turns it back
 * into a document; paths of problems use the registry's and @skyroad/governance's notation
 * (`routes[0].destinations[1].weight`), so one error list serves every field.
 */
export interface DestinationDraft {
  subset: string;
  weight: string;
}

export interface RouteDraft {
  name: string;
  headers: string;
  callerMetadata: string;
  destinations: DestinationDraft[];
}

export interface PolicyDraft {
  strategy: string;
  hashOn: string;
  routes: RouteDraft[];
  defaultRoute: { enabled: boolean; destinations: DestinationDraft[] };
  circuitBreaker: {
    enabled: boolean;
    errorRatePercent: string;
    minRequests: string;
    windowMs: string;
    openMs: string;
    halfOpenRequests: string;
  };
  rateLimit: { enabled: boolean; requestsPerSecond: string; burst: string };
  timeoutMs: string;
  retry: { enabled: boolean; attempts: string; on: string[] };
}

export const CIRCUIT_BREAKER_FIELDS = [
  'errorRatePercent',
  'minRequests',
  'windowMs',
  'openMs',
  'halfOpenRequests',
] as const;

export function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** Parses "a=1, b=2"; an entry without "=" or with an empty name is a problem. */
export function parseMap(text: string): { map: Record<string, string>; problems: string[] } {
  const map: Record<string, string> = {};
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${entry}" is not name=value`);
      continue;
    }
    map[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return { map, problems };
}

const text = (value: number | undefined) => (value === undefined ? '' : String(value));

function destinationDrafts(destinations: { subset: Record<string, string>; weight: number }[] | undefined) {
  return (destinations ?? []).map((d) => ({ subset: formatMap(d.subset), weight: String(d.weight) }));
}

export function emptyDestination(weight = 100): DestinationDraft {
  return { subset: '', weight: String(weight) };
}

export function policyToDraft(policy: Policy | undefined): PolicyDraft {
  const p = policy ?? {};
  return {
    strategy: p.loadBalancer?.strategy ?? '',
    hashOn: p.loadBalancer?.hashOn ?? '',
    routes: (p.routes ?? []).map((route) => ({
      name: route.name,
      headers: formatMap(route.match?.headers),
      callerMetadata: formatMap(route.match?.callerMetadata),
      destinations: destinationDrafts(route.destinations),
    })),
    defaultRoute: {
      enabled: p.defaultRoute !== undefined,
      destinations: p.defaultRoute ? destinationDrafts(p.defaultRoute.destinations) : [emptyDestination()],
    },
    circuitBreaker: {
      enabled: p.circuitBreaker !== undefined,
      errorRatePercent: text(p.circuitBreaker?.errorRatePercent),
      minRequests: text(p.circuitBreaker?.minRequests),
      windowMs: text(p.circuitBreaker?.windowMs),
      openMs: text(p.circuitBreaker?.openMs),
      halfOpenRequests: text(p.circuitBreaker?.halfOpenRequests),
    },
    rateLimit: {
      enabled: p.rateLimit !== undefined,
      requestsPerSecond: text(p.rateLimit?.requestsPerSecond),
      burst: text(p.rateLimit?.burst),
    },
    timeoutMs: text(p.timeoutMs),
    retry: {
      enabled: p.retry !== undefined,
      attempts: text(p.retry?.attempts),
      on: [...(p.retry?.on ?? [])],
    },
  };
}

/** A number when the text is one; otherwise the text itself, so validation names the field. */
function numberOrText(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

function setIfPresent(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

export interface DraftResult {
  /** The document to validate and save (not yet validated). */
  document: Record<string, unknown>;
  /** Problems the draft has before validation: unparsable maps. */
  problems: string[];
}

export function draftToDocument(draft: PolicyDraft): DraftResult {
  const problems: string[] = [];
  const map = (value: string, path: string) => {
    const parsed = parseMap(value);
    for (const problem of parsed.problems) problems.push(`${path}: ${problem}`);
    return parsed.map;
  };
  const destinations = (list: DestinationDraft[], path: string) =>
    list.map((d, i) => ({ subset: map(d.subset, `${path}[${i}].subset`), weight: numberOrText(d.weight) }));

  const doc: Record<string, unknown> = {};
  if (draft.strategy !== '' || draft.hashOn.trim() !== '') {
    const lb: Record<string, unknown> = {};
    setIfPresent(lb, 'strategy', draft.strategy || undefined);
    setIfPresent(lb, 'hashOn', draft.hashOn.trim() || undefined);
    doc['loadBalancer'] = lb;
  }
  if (draft.routes.length > 0) {
    doc['routes'] = draft.routes.map((route, i) => {
      const match: Record<string, unknown> = {};
      const headers = map(route.headers, `routes[${i}].match.headers`);
      const caller = map(route.callerMetadata, `routes[${i}].match.callerMetadata`);
      if (Object.keys(headers).length > 0) match['headers'] = headers;
      if (Object.keys(caller).length > 0) match['callerMetadata'] = caller;
      const out: Record<string, unknown> = { name: route.name.trim() };
      if (Object.keys(match).length > 0) out['match'] = match;
      out['destinations'] = destinations(route.destinations, `routes[${i}].destinations`);
      return out;
    });
  }
  if (draft.defaultRoute.enabled) {
    doc['defaultRoute'] = {
      destinations: destinations(draft.defaultRoute.destinations, 'defaultRoute.destinations'),
    };
  }
  if (draft.circuitBreaker.enabled) {
    const cb: Record<string, unknown> = {};
    for (const field of CIRCUIT_BREAKER_FIELDS)
      setIfPresent(cb, field, numberOrText(draft.circuitBreaker[field]));
    doc['circuitBreaker'] = cb;
  }
  if (draft.rateLimit.enabled) {
    const rl: Record<string, unknown> = {};
    setIfPresent(rl, 'requestsPerSecond', numberOrText(draft.rateLimit.requestsPerSecond));
    setIfPresent(rl, 'burst', numberOrText(draft.rateLimit.burst));
    doc['rateLimit'] = rl;
  }
  setIfPresent(doc, 'timeoutMs', numberOrText(draft.timeoutMs));
  if (draft.retry.enabled) {
    const retry: Record<string, unknown> = {};
    setIfPresent(retry, 'attempts', numberOrText(draft.retry.attempts));
    if (draft.retry.on.length > 0) retry['on'] = draft.retry.on;
    doc['retry'] = retry;
  }
  return { document: doc, problems };
}

/** Splits "path: reason" messages by path (the part before the first ": "). */
export function errorsByPath(messages: readonly string[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const message of messages) {
    const colon = message.indexOf(': ');
    const path = colon > 0 ? message.slice(0, colon) : '';
    const reason = colon > 0 ? message.slice(colon + 2) : message;
    byPath.set(path, [...(byPath.get(path) ?? []), reason]);
  }
  return byPath;
}

/**
 * Fills the default route from a rollout preset over two versions: canary sends `percent` to
 * the new version, blue-green switches everything, gray splits by `percent` as well.
 */
export function presetDestinations(
  kind: 'canary' | 'blue-green' | 'gray',
  key: string,
  stable: string,
  next: string,
  percent: number,
): DestinationDraft[] {
  const share = kind === 'blue-green' ? 100 : Math.min(100, Math.max(0, Math.round(percent)));
  return [
    { subset: `${key}=${stable}`, weight: String(100 - share) },
    { subset: `${key}=${next}`, weight: String(share) },
  ];
}
