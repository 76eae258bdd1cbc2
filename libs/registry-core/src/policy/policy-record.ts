import type { Policy, PolicyRecord } from '@skyroad/governance';
import type { StoredKey } from '../store/registry-store';

export type { PolicyRecord };

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
