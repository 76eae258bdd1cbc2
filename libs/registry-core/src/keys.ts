/**
 * The key layout in the store (ARCHITECTURE.md, "Key layout in the store"). Names are validated
 * before they reach here (validation/names.ts), so they cannot contain '/' or escape a prefix.
 */
export const ROOT_PREFIX = '/skyroad/';
export const REGISTRY_PREFIX = '/skyroad/registry/';
export const GOVERNANCE_PREFIX = '/skyroad/governance/';
export const NAMESPACES_PREFIX = '/skyroad/meta/namespaces/';

export const instanceKey = (ns: string, svc: string, id: string): string =>
  `${REGISTRY_PREFIX}${ns}/${svc}/${id}`;
export const servicePrefix = (ns: string, svc: string): string => `${REGISTRY_PREFIX}${ns}/${svc}/`;
export const namespaceInstancesPrefix = (ns: string): string => `${REGISTRY_PREFIX}${ns}/`;
export const policyKey = (ns: string, svc: string): string => `${GOVERNANCE_PREFIX}${ns}/${svc}/policy`;
export const namespaceKey = (ns: string): string => `${NAMESPACES_PREFIX}${ns}`;

export type ParsedKey =
  | { kind: 'instance'; namespace: string; service: string; id: string }
  | { kind: 'policy'; namespace: string; service: string }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'other' };

/** What a key under ROOT_PREFIX is. */
export function parseKey(key: string): ParsedKey {
  if (key.startsWith(REGISTRY_PREFIX)) {
    const parts = key.slice(REGISTRY_PREFIX.length).split('/');
    if (parts.length === 3) return { kind: 'instance', namespace: parts[0], service: parts[1], id: parts[2] };
  } else if (key.startsWith(GOVERNANCE_PREFIX)) {
    const parts = key.slice(GOVERNANCE_PREFIX.length).split('/');
    if (parts.length === 3 && parts[2] === 'policy')
      return { kind: 'policy', namespace: parts[0], service: parts[1] };
  } else if (key.startsWith(NAMESPACES_PREFIX)) {
    const name = key.slice(NAMESPACES_PREFIX.length);
    if (name.length > 0 && !name.includes('/')) return { kind: 'namespace', namespace: name };
  }
  return { kind: 'other' };
}
