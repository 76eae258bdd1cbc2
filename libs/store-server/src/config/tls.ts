import { readFileSync } from 'node:fs';
import type { TlsFiles } from './flags';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
}

/** Reads the certificate files named by flags; undefined when TLS is not configured. */
export function loadTls(files: TlsFiles): TlsMaterial | undefined {
  if (!files.certFile || !files.keyFile) return undefined;
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ca: files.trustedCaFile ? readFileSync(files.trustedCaFile) : undefined,
    requestCert: files.clientCertAuth,
  };
}
