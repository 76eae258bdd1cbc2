import type { Policy } from '@skyroad/governance';

/** Shapes of the registry's HTTP API (docs/registry-api.md). */
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
  revision: number;
}

export interface ServiceSummary {
  name: string;
  instances: number;
  healthy: number;
}

export interface PolicyRecord {
  namespace: string;
  service: string;
  revision: number;
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
}

export interface PolicyVersion {
  version: number;
  revision: number;
  policy: Policy;
  updatedBy: string;
  updatedAt: string;
  action: 'put' | 'rollback';
  rollbackOf?: number;
}

export interface RegistryError {
  statusCode: number;
  error?: string;
  message?: string;
  reasons?: string[];
}

export interface Me {
  kind: 'user' | 'token' | 'anonymous';
  name: string;
  role: string;
  namespaces: string[];
}

/** Names of namespaces and services (docs/registry-api.md): safe in a URL path segment. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/** GET /v1/cluster: one store cluster as its members describe it. */
export interface StoreMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
  isLeader: boolean;
}

export interface StoreEndpointStatus {
  endpoint: string;
  reachable: boolean;
  error?: string;
  memberId?: string;
  leaderId?: string;
  raftTerm?: number;
  raftIndex?: number;
  dbSize?: number;
  revision?: number;
  version?: string;
}

export interface StoreCluster {
  role: 'primary' | 'standby';
  endpoints: string[];
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
  endpointStatus: StoreEndpointStatus[];
}

export interface ClusterReport {
  primary: StoreCluster;
  standby?: StoreCluster;
}
