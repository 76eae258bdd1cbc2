import { call } from './http';

/**
 * The first administrator's password in tests. The registry takes it from
 * SKYROAD_ADMIN_PASSWORD at its first start (a real deployment gets a random one otherwise).
 */
export const TEST_ADMIN_PASSWORD = 'registry-test-admin-password';
process.env['SKYROAD_ADMIN_PASSWORD'] ??= TEST_ADMIN_PASSWORD;

async function signIn(base: string, username: string, password: string): Promise<string> {
  const login = await call('POST', `${base}/v1/auth/login`, { username, password });
  if (login.status !== 200)
    throw new Error(`sign-in as ${username} failed: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body.token as string;
}

/**
 * Creates an editor for every namespace (as the admin) and signs in as that user: the
 * Authorization header of a real, verified caller.
 */
export async function bearerForNewEditor(base: string, username: string): Promise<Record<string, string>> {
  const adminToken = await signIn(base, 'admin', process.env['SKYROAD_ADMIN_PASSWORD'] as string);
  const password = `${username}-password-${Math.random().toString(36).slice(2)}`;
  const created = await call(
    'POST',
    `${base}/v1/users`,
    { username, password, role: 'editor', namespaces: ['*'] },
    { authorization: `Bearer ${adminToken}` },
  );
  if (created.status !== 201 && created.status !== 200) {
    throw new Error(`creating ${username} failed: ${created.status} ${JSON.stringify(created.body)}`);
  }
  return { authorization: `Bearer ${await signIn(base, username, password)}` };
}
