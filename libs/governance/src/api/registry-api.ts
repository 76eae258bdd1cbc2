import type { Policy } from '../schema/policy-schema';

/*
 * The shapes of the registry's HTTP API (docs/registry-api.md), declared once for the
 * registry that answers with them and the SDK and console that read them.
 */

/** Namespace and service names: no '/', so no key can escape its prefix, and safe in a URL path segment. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/** An instance as clients see it ("Instance"). */
export interface Instance {
  id: string;
  namespace: string;
  service: string;
  host: string;
  port: number;
  weight: number;
  enabled: boolean;
  healthy: boolean;
  metadata: Record<string, string>;
  ttl: number;
  registeredAt: string;
  lastHeartbeatAt: string;
  /** The store mod revision of the instance's key. */
  revision: number;
}

/** One row of GET /v1/namespaces/{ns}/services. */
export interface ServiceSummary {
  name: string;
  instances: number;
  healthy: number;
}

/** A service's policy as clients see it ("PolicyRecord"). */
export interface PolicyRecord {
  namespace: string;
  service: string;
  /** The store mod revision of the policy key. */
  revision: number;
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
}

/** One entry of a policy's history (GET .../policy/history). */
export interface PolicyVersion {
  version: number;
  revision: number;
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
  action: 'put' | 'rollback';
  rollbackOf?: number;
}

/** GET /v1/cluster: one store member. */
export interface StoreMember {
  /** Member id in hex, as etcdctl prints it. */
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
  isLeader: boolean;
}

/** GET /v1/cluster: what one configured endpoint says about itself. */
export interface EndpointStatus {
  endpoint: string;
  reachable: boolean;
  error?: string;
  memberId?: string;
  leaderId?: string;
  raftTerm?: number;
  raftIndex?: number;
  raftAppliedIndex?: number;
  dbSize?: number;
  dbSizeInUse?: number;
  revision?: number;
  version?: string;
  isLearner?: boolean;
}

/** GET /v1/cluster: one store cluster as its members describe it. */
export interface StoreClusterReport {
  role: 'primary' | 'standby';
  endpoints: string[];
  /** True when the member list or at least one endpoint's status answered. */
  reachable: boolean;
  error?: string;
  clusterId?: string;
  leaderId?: string;
  raftTerm?: number;
  raftIndex?: number;
  dbSize?: number;
  revision?: number;
  version?: string;
  members: StoreMember[];
  endpointStatus: EndpointStatus[];
}

/** GET /v1/cluster. */
export interface ClusterReport {
  primary: StoreClusterReport;
  /** Present when --standby-store-endpoints is configured. */
  standby?: StoreClusterReport;
}
