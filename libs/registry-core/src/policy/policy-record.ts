import type { Policy } from '@skyroad/governance';
import type { StoredKey } from '../store/registry-store';

/** A service's policy as clients see it (docs/registry-api.md, "PolicyRecord"). */
export interface PolicyRecord {
  namespace: string;
  service: string;
  /** The store mod revision of the policy key. */
  revision: number;
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
}

export interface StoredPolicy {
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
}

export function decodePolicy(namespace: string, service: string, kv: StoredKey): PolicyRecord | undefined {
  try {
    const stored = JSON.parse(kv.value) as StoredPolicy;
    if (typeof stored !== 'object' || stored === null || typeof stored.policy !== 'object') return undefined;
    return { namespace, service, revision: kv.modRevision, ...stored };
  } catch {
    return undefined;
  }
}
