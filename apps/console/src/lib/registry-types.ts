/*
 * Shapes of the registry's HTTP API (docs/registry-api.md): declared once in
 * @skyroad/governance; the console-only ones are below.
 */
export {
  NAME_PATTERN,
  type Instance,
  type ServiceSummary,
  type PolicyRecord,
  type PolicyVersion,
  type StoreMember,
  type EndpointStatus,
  type StoreClusterReport,
  type ClusterReport,
} from '@skyroad/governance';

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
