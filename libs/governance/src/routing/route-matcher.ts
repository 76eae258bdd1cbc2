import type { Destination, Policy, RouteMatch } from '../schema/policy-schema';
import type { RequestContext } from '../model/endpoint';
import { lowerCaseName } from './header-names';

/** The destinations a request goes to, and which route chose them (null: the default). */
export interface RouteSelection {
  readonly route: string | null;
  /** null when the policy has no default route: any instance will do. */
  readonly destinations: readonly Destination[] | null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Routes are tried in order; the first whose match holds wins; otherwise the default route. */
export function selectRoute(policy: Policy, ctx: RequestContext): RouteSelection {
  for (const route of policy.routes ?? []) {
    if (routeMatches(route.match, ctx)) return { route: route.name, destinations: route.destinations };
  }
  return { route: null, destinations: policy.defaultRoute?.destinations ?? null };
}

export function routeMatches(match: RouteMatch | undefined, ctx: RequestContext): boolean {
  if (match?.headers) {
    const headers = match.headers;
    for (const name in headers) {
      if (!hasOwn.call(headers, name)) continue;
      if (headerValue(ctx.headers, name) !== headers[name]) return false;
    }
  }
  if (match?.callerMetadata) {
    const caller = ctx.callerMetadata;
    const wanted = match.callerMetadata;
    for (const key in wanted) {
      if (!hasOwn.call(wanted, key)) continue;
      if (caller === undefined || !hasOwn.call(caller, key) || caller[key] !== wanted[key]) return false;
    }
  }
  return true;
}

/**
 * Reads a request header by name, case-insensitively. When several names differ only in case,
 * the last one wins; headers whose value is undefined are absent.
 */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = lowerCaseName(name);
  let found: string | undefined;
  for (const key in headers) {
    if (!hasOwn.call(headers, key)) continue;
    const value = headers[key];
    if (value !== undefined && (key === wanted || lowerCaseName(key) === wanted)) found = value;
  }
  return found;
}
