import type { RegistryError } from '../lib/registry-types';

export function RegistryErrorNotice({ error, what }: { error: RegistryError; what: string }) {
  return (
    <div className="notice bad" role="alert">
      Could not load {what}: {error.message ?? error.error ?? `status ${error.statusCode}`}
      {error.reasons && error.reasons.length > 0 && (
        <ul>
          {error.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
