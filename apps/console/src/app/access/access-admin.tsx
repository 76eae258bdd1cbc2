'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { RegistryError } from '../../lib/registry-types';

export interface UserRow {
  id: string;
  username: string;
  role: 'admin' | 'editor' | 'viewer';
  namespaces: string[];
  createdAt: string;
}

export interface TokenRow {
  id: string;
  name: string;
  namespace: string;
  role: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

type Message = { ok: boolean; text: string } | undefined;

async function send(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ ok: boolean; body: RegistryError & Record<string, unknown> }> {
  const response = await fetch(`/api/registry${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await response.json().catch(() => ({}))) as RegistryError & Record<string, unknown>;
  return { ok: response.ok, body: { ...parsed, statusCode: parsed.statusCode ?? response.status } };
}

function describe(error: RegistryError): string {
  return error.reasons?.join('; ') ?? error.message ?? `status ${error.statusCode}`;
}

const namespaceList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function AccessAdmin({ users, tokens }: { users: UserRow[]; tokens: TokenRow[] }) {
  const router = useRouter();
  const [message, setMessage] = useState<Message>();
  const [secret, setSecret] = useState<{ name: string; token: string } | undefined>();

  async function act(
    what: string,
    call: Promise<{ ok: boolean; body: RegistryError & Record<string, unknown> }>,
  ) {
    const result = await call;
    setMessage(
      result.ok ? { ok: true, text: what } : { ok: false, text: `${what} failed: ${describe(result.body)}` },
    );
    if (result.ok) router.refresh();
    return result;
  }

  async function createUser(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const role = String(data.get('role'));
    const result = await act(
      `Created user ${String(data.get('username'))}`,
      send('POST', '/v1/users', {
        username: data.get('username'),
        password: data.get('password'),
        role,
        ...(role === 'editor' ? { namespaces: namespaceList(String(data.get('namespaces'))) } : {}),
      }),
    );
    if (result.ok) form.reset();
  }

  async function createToken(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const result = await act(
      `Created token ${String(data.get('name'))}`,
      send('POST', '/v1/tokens', {
        name: data.get('name'),
        namespace: data.get('namespace'),
        role: data.get('role'),
      }),
    );
    if (result.ok) {
      setSecret({ name: String(result.body['name']), token: String(result.body['token']) });
      form.reset();
    }
  }

  return (
    <>
      {message && (
        <div className={`notice ${message.ok ? 'ok' : 'bad'}`} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </div>
      )}
      <section className="panel">
        <h2 style={{ marginTop: 0 }}>Users</h2>
        <div className="table-wrap" style={{ marginBottom: 12 }}>
          <table aria-label="Users">
            <thead>
              <tr>
                <th>Username</th>
                <th>Role</th>
                <th>Namespaces</th>
                <th>Created</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} data-user={user.username}>
                  <td>{user.username}</td>
                  <td>
                    <select
                      aria-label={`Role of ${user.username}`}
                      value={user.role}
                      onChange={(e) =>
                        void act(
                          `Changed the role of ${user.username}`,
                          send('PATCH', `/v1/users/${user.username}`, {
                            role: e.target.value,
                            ...(e.target.value === 'editor' ? { namespaces: ['default'] } : {}),
                          }),
                        )
                      }
                    >
                      <option value="admin">admin</option>
                      <option value="editor">editor</option>
                      <option value="viewer">viewer</option>
                    </select>
                  </td>
                  <td>
                    {user.role === 'editor' ? (
                      <form
                        className="row"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const text = String(new FormData(e.currentTarget).get('namespaces'));
                          void act(
                            `Changed the namespaces of ${user.username}`,
                            send('PATCH', `/v1/users/${user.username}`, { namespaces: namespaceList(text) }),
                          );
                        }}
                      >
                        <input
                          name="namespaces"
                          aria-label={`Namespaces of ${user.username}`}
                          defaultValue={user.namespaces.join(', ')}
                        />
                        <button type="submit">Save</button>
                      </form>
                    ) : (
                      <span className="muted">
                        all (reading{user.role === 'admin' ? ' and writing' : ''})
                      </span>
                    )}
                  </td>
                  <td>{new Date(user.createdAt).toLocaleString()}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        void act(
                          `Deleted user ${user.username}`,
                          send('DELETE', `/v1/users/${user.username}`),
                        )
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <form className="row" onSubmit={(e) => void createUser(e)} aria-label="New user">
          <div>
            <label htmlFor="new-username">New username</label>
            <input id="new-username" name="username" required />
          </div>
          <div>
            <label htmlFor="new-password">Initial password</label>
            <input
              id="new-password"
              name="password"
              type="password"
              required
              minLength={8}
              autoComplete="new-password"
            />
          </div>
          <div>
            <label htmlFor="new-role">Role</label>
            <select id="new-role" name="role" defaultValue="viewer">
              <option value="viewer">viewer</option>
              <option value="editor">editor</option>
              <option value="admin">admin</option>
            </select>
          </div>
          <div>
            <label htmlFor="new-namespaces">Namespaces (editors)</label>
            <input id="new-namespaces" name="namespaces" placeholder="default, shop or *" />
          </div>
          <button type="submit">Add user</button>
        </form>
      </section>

      <section className="panel">
        <h2 style={{ marginTop: 0 }}>API tokens</h2>
        {secret && (
          <div className="notice ok" role="status">
            Token <strong>{secret.name}</strong> (shown only now; copy it):{' '}
            <code data-testid="token-secret">{secret.token}</code>
          </div>
        )}
        <div className="table-wrap" style={{ marginBottom: 12 }}>
          <table aria-label="API tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Namespace</th>
                <th>Role</th>
                <th>Created by</th>
                <th>Expires</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr key={token.id} data-token={token.name}>
                  <td>{token.name}</td>
                  <td>{token.namespace}</td>
                  <td>{token.role}</td>
                  <td>{token.createdBy}</td>
                  <td>{token.expiresAt ? new Date(token.expiresAt).toLocaleString() : 'never'}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        void act(`Revoked token ${token.name}`, send('DELETE', `/v1/tokens/${token.id}`))
                      }
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <form className="row" onSubmit={(e) => void createToken(e)} aria-label="New API token">
          <div>
            <label htmlFor="token-name">Token name</label>
            <input id="token-name" name="name" required />
          </div>
          <div>
            <label htmlFor="token-namespace">Namespace</label>
            <input id="token-namespace" name="namespace" defaultValue="default" required />
          </div>
          <div>
            <label htmlFor="token-role">Token role</label>
            <select id="token-role" name="role" defaultValue="service">
              <option value="service">service (register, heartbeat, discover)</option>
              <option value="editor">editor (automation)</option>
              <option value="viewer">viewer</option>
            </select>
          </div>
          <button type="submit">Create token</button>
        </form>
      </section>
    </>
  );
}
