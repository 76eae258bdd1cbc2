import type { Principal } from '../principal';
import { ALL_NAMESPACES } from '../roles';

/**
 * What a request needs, decided from its method and path alone, so the rule table covers the
 * registry's routes without touching its controllers.
 *
 * - `public`: anybody, even when anonymous access is off (probes, metrics, sign-in)
 * - `signed-in`: any principal (who am I, sign out)
 * - `admin`: an administrator (users, tokens, anything not listed below)
 * - `read`: reading, within `namespace` when the path names one
 * - `instance-lifecycle`: register, heartbeat, deregister an instance in `namespace`
 * - `instance-operate`: an operator's change to an instance (weight, enabled, metadata)
 * - `policy-write`: put, roll back or delete a service's policy
 */
export type Requirement =
  | { kind: 'public' }
  | { kind: 'signed-in' }
  | { kind: 'admin' }
  | { kind: 'read'; namespace?: string }
  | { kind: 'instance-lifecycle'; namespace: string }
  | { kind: 'instance-operate'; namespace: string }
  | { kind: 'policy-write'; namespace: string };

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PROBE_PATHS = new Set(['health', 'ready', 'metrics']);

/** Lower-cased path segments without the query string; Express routes match case-insensitively. */
export function pathSegments(url: string): string[] {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  return path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment).toLowerCase();
      } catch {
        return segment.toLowerCase();
      }
    });
}

export function requirementFor(method: string, url: string): Requirement {
  const verb = method.toUpperCase();
  const s = pathSegments(url);
  const read = READ_METHODS.has(verb);

  if (read && s.length === 1 && PROBE_PATHS.has(s[0])) return { kind: 'public' };
  if (s[0] !== 'v1') return read ? { kind: 'read' } : { kind: 'admin' };
  if (s[1] === 'auth') {
    if (verb === 'POST' && s[2] === 'login' && s.length === 3) return { kind: 'public' };
    return { kind: 'signed-in' };
  }
  if (s[1] === 'users' || s[1] === 'tokens') return { kind: 'admin' };
  if (s[1] === 'namespaces' && s.length >= 3) {
    const namespace = s[2];
    if (read) return { kind: 'read', namespace };
    // /v1/namespaces/{ns}/services/{svc}/...
    if (s[3] === 'services' && s.length >= 5) {
      const rest = s.slice(5);
      if (rest[0] === 'instances') {
        if (verb === 'POST' && rest.length === 1) return { kind: 'instance-lifecycle', namespace };
        if (verb === 'DELETE' && rest.length === 2) return { kind: 'instance-lifecycle', namespace };
        if (verb === 'PUT' && rest.length === 3 && rest[2] === 'heartbeat') {
          return { kind: 'instance-lifecycle', namespace };
        }
        if (verb === 'PATCH' && rest.length === 2) return { kind: 'instance-operate', namespace };
      }
      if (rest[0] === 'policy') {
        if ((verb === 'PUT' || verb === 'DELETE') && rest.length === 1)
          return { kind: 'policy-write', namespace };
        if (verb === 'POST' && rest.length === 2 && rest[1] === 'rollback') {
          return { kind: 'policy-write', namespace };
        }
      }
    }
    return { kind: 'admin' };
  }
  return read ? { kind: 'read' } : { kind: 'admin' };
}

function covers(namespaces: string[], namespace: string | undefined): boolean {
  if (namespaces.includes(ALL_NAMESPACES)) return true;
  return namespace !== undefined && namespaces.includes(namespace);
}

/** Whether `principal` meets `requirement`. Anonymous principals exist only where allowed. */
export function permits(principal: Principal, requirement: Requirement): boolean {
  if (requirement.kind === 'public') return true;
  if (principal.kind === 'anonymous') return true;
  if (requirement.kind === 'signed-in') return true;

  if (principal.kind === 'user') {
    if (principal.role === 'admin') return true;
    switch (requirement.kind) {
      case 'admin':
        return false;
      case 'read':
        return true;
      case 'instance-lifecycle':
      case 'instance-operate':
      case 'policy-write':
        return principal.role === 'editor' && covers(principal.namespaces, requirement.namespace);
    }
  }

  // API tokens: only within their namespace, never administration.
  switch (requirement.kind) {
    case 'admin':
      return false;
    case 'read':
      // Reads outside any namespace (the namespace list, the OpenAPI document) are harmless.
      return requirement.namespace === undefined || covers(principal.namespaces, requirement.namespace);
    case 'instance-lifecycle':
      return (
        (principal.role === 'service' || principal.role === 'editor') &&
        covers(principal.namespaces, requirement.namespace)
      );
    case 'instance-operate':
    case 'policy-write':
      return principal.role === 'editor' && covers(principal.namespaces, requirement.namespace);
  }
}
