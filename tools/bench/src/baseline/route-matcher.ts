// BASELINE COPY (tools/bench): libs/governance as of 2026-11-21 06:20 UTC, before the pick
// optimisations of issue 10. Kept only so the sdk suite can report before/after ratios.
// Do not use it anywhere else, and do not optimise it.
import type { Destination, Policy, RouteMatch } from '@skyroad/governance';
import type { RequestContext } from '@skyroad/governance';

/** The destinations a request goes to, and which route chose them (null: the default). */
export interface RouteSelection {
  readonly route: string | null;
  /** null when the policy has no default route: any instance will do. */
  readonly destinations: readonly Destination[] | null;
}

/** Routes are tried in order; the first whose match holds wins; otherwise the default route. */
export function selectRoute(policy: Policy, ctx: RequestContext): RouteSelection {
  for (const route of policy.routes ?? []) {
    if (routeMatches(route.match, ctx)) return { route: route.name, destinations: route.destinations };
  }
  return { route: null, destinations: policy.defaultRoute?.destinations ?? null };
}

export function routeMatches(match: RouteMatch | undefined, ctx: RequestContext): boolean {
  if (match?.headers) {
    const headers = lowerCaseKeys(ctx.headers ?? {});
    for (const [name, value] of Object.entries(match.headers)) {
      if (headers.get(name.toLowerCase()) !== value) return false;
    }
  }
  if (match?.callerMetadata) {
    const caller = ctx.callerMetadata ?? {};
    for (const [key, value] of Object.entries(match.callerMetadata)) {
      if (!Object.prototype.hasOwnProperty.call(caller, key) || caller[key] !== value) return false;
    }
  }
  return true;
}

/** Reads a request header by name, case-insensitively. */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  return lowerCaseKeys(headers ?? {}).get(name.toLowerCase());
}

function lowerCaseKeys(headers: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out.set(k.toLowerCase(), v);
  return out;
}
