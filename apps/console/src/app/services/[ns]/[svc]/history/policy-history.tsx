'use client';

import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { DiffView } from '../../../../../components/diff-view';
import { diffDocuments, hasChanges } from '../../../../../lib/json-diff';
import type { PolicyVersion } from '@skyroad/governance';
import type { RegistryError } from '../../../../../lib/registry-types';

/** Every saved version, newest first; pick any two to compare; roll back to any older one. */
export function PolicyHistory({ ns, svc, versions }: { ns: string; svc: string; versions: PolicyVersion[] }) {
  const router = useRouter();
  const newest = versions[0]?.version;
  const [left, setLeft] = useState<number | undefined>(versions[1]?.version ?? newest);
  const [right, setRight] = useState<number | undefined>(newest);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const diff = useMemo(() => {
    const a = versions.find((x) => x.version === left);
    const b = versions.find((x) => x.version === right);
    return a && b ? diffDocuments(a.policy, b.policy) : [];
  }, [left, right, versions]);

  async function rollback(version: number) {
    setBusy(true);
    setMessage(undefined);
    try {
      const response = await fetch(`/api/registry/v1/namespaces/${ns}/services/${svc}/policy/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version }),
      });
      const body = (await response.json().catch(() => ({}))) as RegistryError & { revision?: number };
      if (response.ok) {
        setMessage({ ok: true, text: `Rolled back to version ${version} (revision ${body.revision}).` });
        router.refresh();
      } else {
        setMessage({
          ok: false,
          text: `Rollback refused: ${body.message ?? response.statusText} (${response.status})`,
        });
      }
    } finally {
      setBusy(false);
    }
  }

  if (versions.length === 0) return <p className="muted">No versions yet.</p>;
  return (
    <>
      {message && (
        <div className={`notice ${message.ok ? 'ok' : 'bad'}`} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </div>
      )}
      <div className="table-wrap" style={{ marginBottom: 16 }}>
        <table aria-label="Policy history">
          <thead>
            <tr>
              <th>Version</th>
              <th>Revision</th>
              <th>Changed by</th>
              <th>When</th>
              <th>What</th>
              <th>Compare (A / B)</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-version={v.version}>
                <td>{v.version}</td>
                <td>{v.revision}</td>
                <td>{v.updatedBy}</td>
                <td title={v.updatedAt}>{new Date(v.updatedAt).toLocaleString()}</td>
                <td>{v.action === 'rollback' ? `rollback to ${v.rollbackOf ?? '?'}` : 'edit'}</td>
                <td>
                  <input
                    type="radio"
                    name="left"
                    aria-label={`Compare from version ${v.version}`}
                    checked={left === v.version}
                    onChange={() => setLeft(v.version)}
                  />{' '}
                  <input
                    type="radio"
                    name="right"
                    aria-label={`Compare to version ${v.version}`}
                    checked={right === v.version}
                    onChange={() => setRight(v.version)}
                  />
                </td>
                <td>
                  {v.version !== newest && (
                    <button type="button" disabled={busy} onClick={() => void rollback(v.version)}>
                      Roll back to version {v.version}
                    </button>
                  )}
                  {v.version === newest && <span className="badge ok">current</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>
        Version {left} → version {right}
      </h2>
      {hasChanges(diff) ? (
        <DiffView lines={diff} label="Version diff" />
      ) : (
        <p className="muted">The two versions are the same.</p>
      )}
    </>
  );
}
