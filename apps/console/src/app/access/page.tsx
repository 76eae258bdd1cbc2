import { readRegistry } from '../../lib/registry';
import { RegistryErrorNotice } from '../../components/registry-error';
import { AccessAdmin, type TokenRow, type UserRow } from './access-admin';

export const dynamic = 'force-dynamic';

/** Users and API tokens (administrators only; the registry decides). */
export default async function AccessPage() {
  const [users, tokens] = await Promise.all([
    readRegistry<{ users: UserRow[] }>('/v1/users', '/access'),
    readRegistry<{ tokens: TokenRow[] }>('/v1/tokens', '/access'),
  ]);
  return (
    <>
      <h1>Access</h1>
      {users.ok && tokens.ok ? (
        <AccessAdmin users={users.body.users} tokens={tokens.body.tokens} />
      ) : users.status === 404 ? (
        <p className="muted">This registry has no users: it does not run the access module.</p>
      ) : users.status === 403 ? (
        <div className="notice bad" role="alert">
          Only administrators manage users and tokens.
        </div>
      ) : (
        <RegistryErrorNotice
          error={users.ok ? (tokens.ok ? { statusCode: 500 } : tokens.error) : users.error}
          what="users"
        />
      )}
    </>
  );
}
