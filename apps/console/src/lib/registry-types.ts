/** Shapes the console alone uses; the registry's API shapes are in @skyroad/governance. */
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
