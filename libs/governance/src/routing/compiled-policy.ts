import type { RequestContext } from '../model/endpoint';
import type { Destination, Policy } from '../schema/policy-schema';
import { lowerCaseName } from './header-names';

const hasOwn = Object.prototype.hasOwnProperty;

/** One route of the policy, prepared for matching without allocating. */
export interface CompiledRoute {
  /** The route's name; null for the default route. */
  readonly name: string | null;
  /** Header checks as [slot in the request's header values, wanted value]. */
  readonly headerChecks: ReadonlyArray<readonly [number, string]>;
  readonly callerChecks: ReadonlyArray<readonly [string, string]>;
  /** null when the policy has no default route: any instance will do. */
  readonly destinations: readonly Destination[] | null;
}

type HashSource =
  | { readonly kind: 'key' }
  | { readonly kind: 'header'; readonly slot: number }
  | { readonly kind: 'metadata'; readonly key: string }
  | { readonly kind: 'none' };

/**
 * The parts of a policy that route matching needs, worked out once per policy instead of on
 * every pick: header names are lowercased up front and each one the policy looks at gets a
 * slot; a request's headers are then read in one pass into those slots.
 */
export class CompiledPolicy {
  /** Routes in order, then the default route (always last). */
  readonly routes: readonly CompiledRoute[];
  private readonly slots = new Map<string, number>();
  private readonly hashSource: HashSource;
  /** The current request's header values by slot; reused, so a pick allocates nothing. */
  private readonly values: Array<string | undefined>;

  constructor(policy: Policy) {
    const routes: CompiledRoute[] = [];
    for (const route of policy.routes ?? []) {
      const headers = route.match?.headers ?? {};
      const caller = route.match?.callerMetadata ?? {};
      routes.push({
        name: route.name,
        headerChecks: Object.entries(headers).map(([name, value]) => [this.slot(name), value] as const),
        callerChecks: Object.entries(caller),
        destinations: route.destinations,
      });
    }
    routes.push({
      name: null,
      headerChecks: [],
      callerChecks: [],
      destinations: policy.defaultRoute?.destinations ?? null,
    });
    this.routes = routes;
    const hashOn = policy.loadBalancer?.hashOn ?? 'key';
    if (hashOn === 'key') this.hashSource = { kind: 'key' };
    else if (hashOn.startsWith('header:'))
      this.hashSource = { kind: 'header', slot: this.slot(hashOn.slice('header:'.length)) };
    else if (hashOn.startsWith('metadata:'))
      this.hashSource = { kind: 'metadata', key: hashOn.slice('metadata:'.length) };
    else this.hashSource = { kind: 'none' };
    this.values = new Array<string | undefined>(this.slots.size).fill(undefined);
  }

  /**
   * The index in `routes` of the route this request takes: the first whose match holds, else
   * the default route (the last). Leaves the request's header values in the slots for hashKey.
   */
  select(ctx: RequestContext): number {
    this.readHeaders(ctx.headers);
    const routes = this.routes;
    const last = routes.length - 1;
    for (let r = 0; r < last; r++) if (this.matches(routes[r], ctx)) return r;
    return last;
  }

  /** The consistent-hash key of the request last given to select(). */
  hashKey(ctx: RequestContext): string | undefined {
    const source = this.hashSource;
    switch (source.kind) {
      case 'key':
        return ctx.hashKey;
      case 'header':
        return this.values[source.slot];
      case 'metadata':
        return ctx.callerMetadata?.[source.key];
      case 'none':
        return undefined;
    }
  }

  private matches(route: CompiledRoute, ctx: RequestContext): boolean {
    const values = this.values;
    const headerChecks = route.headerChecks;
    for (let i = 0; i < headerChecks.length; i++) {
      if (values[headerChecks[i][0]] !== headerChecks[i][1]) return false;
    }
    const callerChecks = route.callerChecks;
    if (callerChecks.length > 0) {
      const caller = ctx.callerMetadata;
      if (caller === undefined) return false;
      for (let i = 0; i < callerChecks.length; i++) {
        const key = callerChecks[i][0];
        if (!hasOwn.call(caller, key) || caller[key] !== callerChecks[i][1]) return false;
      }
    }
    return true;
  }

  /** One pass over the request's headers; the last of several names differing in case wins. */
  private readHeaders(headers: Readonly<Record<string, string | undefined>> | undefined): void {
    const values = this.values;
    if (values.length === 0) return;
    values.fill(undefined);
    if (headers === undefined) return;
    const slots = this.slots;
    for (const name in headers) {
      if (!hasOwn.call(headers, name)) continue;
      const value = headers[name];
      if (value === undefined) continue;
      const slot = slots.get(lowerCaseName(name));
      if (slot !== undefined) values[slot] = value;
    }
  }

  private slot(name: string): number {
    const lower = name.toLowerCase();
    let slot = this.slots.get(lower);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(lower, slot);
    }
    return slot;
  }
}
