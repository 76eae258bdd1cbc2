import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { useProcessSet } from '@skyroad/testkit';
import { DEFAULT_SESSION_TTL_MS, LOGIN_FAILURE_WINDOW_MS } from '../src';
import {
  Caller,
  createPostgresDatabase,
  sqliteFile,
  startStandInApp,
  type Database,
  type StandInApp,
} from './support/stand-in-app';

/*
 * The access module inside a real Nest application over loopback HTTP, on a real SQLite file
 * and on a real PostgreSQL database. Time is an injected clock, moved by the tests.
 */
const processes = useProcessSet();
const ADMIN_PASSWORD = 'first-admin-secret-1';
const START = Date.parse('2026-11-21T06:00:00.000Z');

interface DatabaseUnderTest {
  name: string;
  open(): Promise<{ db: Database; drop(): Promise<void> }>;
}

const databases: DatabaseUnderTest[] = [
  {
    name: 'SQLite file',
    open: async () => ({
      db: { kind: 'sqlite', file: sqliteFile(processes.tempDir('access-sqlite-')) },
      drop: async () => {},
    }),
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const created = await createPostgresDatabase();
      return { db: { kind: 'postgres', url: created.url }, drop: created.drop };
    },
  },
];

describe.each(databases)('access on $name', ({ open }) => {
  let now = START;
  const clock = () => now;
  let db: Database;
  let drop: () => Promise<void>;
  let server: StandInApp;
  let anon: Caller;
  let admin: Caller;
  const announced: string[] = [];

  beforeAll(async () => {
    ({ db, drop } = await open());
    server = await startStandInApp(db, {
      anonymousAllowed: false,
      adminPassword: ADMIN_PASSWORD,
      clock,
      announce: (m) => announced.push(m),
    });
    anon = new Caller(server.url);
    admin = anon.as(await anon.login('admin', ADMIN_PASSWORD));
  });

  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  it('bootstraps the first admin from the configured password without printing it', async () => {
    expect(announced).toEqual([]);
    const me = await admin.call('GET', '/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'user', username: 'admin', role: 'admin' });
    const stored = await server.app.get(DataSource).query('SELECT password_hash FROM access_users');
    expect(stored).toHaveLength(1);
    expect(stored[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(stored[0].password_hash).not.toContain(ADMIN_PASSWORD);
  });

  it('leaves probes and sign-in public and answers 401 to everything else without a principal', async () => {
    expect((await anon.call('GET', '/health')).status).toBe(200);
    expect((await anon.call('GET', '/metrics')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/v1/namespaces'],
      ['GET', '/v1/namespaces/shop/services'],
      ['PUT', '/v1/namespaces/shop/services/orders/policy'],
      ['GET', '/v1/auth/me'],
      ['GET', '/v1/users'],
    ]) {
      const response = await anon.call(method, path, method === 'PUT' ? {} : undefined);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    expect((await anon.as('sks_not-a-session').call('GET', '/v1/namespaces')).status).toBe(401);
    expect((await anon.as('skt_not-a-token').call('GET', '/v1/namespaces')).status).toBe(401);
    expect((await anon.call('GET', '/v1/namespaces')).status).toBe(401);
  });

  it('refuses a wrong password and an unknown user with the same 401', async () => {
    const wrong = await anon.call('POST', '/v1/auth/login', {
      username: 'admin',
      password: 'not-the-password',
    });
    const unknown = await anon.call('POST', '/v1/auth/login', { username: 'nobody', password: 'whatever-1' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
    const malformed = await anon.call('POST', '/v1/auth/login', { username: 'admin' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.reasons).toEqual([expect.stringContaining('password')]);
  });

  it('gives each role what it may do: admin everything, editor its namespaces, viewer reading', async () => {
    expect(
      (
        await admin.call('POST', '/v1/users', {
          username: 'ed',
          password: 'editor-pass-1',
          role: 'editor',
          namespaces: ['shop'],
        })
      ).status,
    ).toBe(201);
    expect(
      (await admin.call('POST', '/v1/users', { username: 'vi', password: 'viewer-pass-1', role: 'viewer' }))
        .status,
    ).toBe(201);
    const editor = anon.as(await anon.login('ed', 'editor-pass-1'));
    const viewer = anon.as(await anon.login('vi', 'viewer-pass-1'));

    const policy = (ns: string) => `/v1/namespaces/${ns}/services/orders/policy`;
    const instance = (ns: string) => `/v1/namespaces/${ns}/services/orders/instances/i-1`;
    const cases: Array<[Caller, string, string, string, unknown, number]> = [
      [admin, 'admin', 'PUT', policy('other'), {}, 200],
      [admin, 'admin', 'POST', '/v1/namespaces', {}, 201],
      [editor, 'ed', 'PUT', policy('shop'), {}, 200],
      [editor, 'ed', 'POST', `${policy('shop')}/rollback`, { version: 1 }, 200],
      [editor, 'ed', 'PATCH', instance('shop'), { weight: 5 }, 200],
      [editor, 'ed', 'GET', '/v1/namespaces/other/services', undefined, 200],
      [editor, 'ed', 'PUT', policy('other'), {}, 403],
      [editor, 'ed', 'PATCH', instance('other'), { weight: 5 }, 403],
      [editor, 'ed', 'POST', '/v1/namespaces', {}, 403],
      [editor, 'ed', 'GET', '/v1/users', undefined, 403],
      [editor, 'ed', 'GET', '/v1/tokens', undefined, 403],
      [viewer, 'vi', 'GET', '/v1/namespaces/shop/services/orders/instances', undefined, 200],
      [viewer, 'vi', 'GET', policy('shop'), undefined, 200],
      [viewer, 'vi', 'PUT', policy('shop'), {}, 403],
      [viewer, 'vi', 'PATCH', instance('shop'), { enabled: false }, 403],
      [viewer, 'vi', 'POST', '/v1/namespaces/shop/services/orders/instances', { host: 'h', port: 1 }, 403],
      [viewer, 'vi', 'POST', '/v1/users', { username: 'x', password: 'password-1', role: 'admin' }, 403],
      // Express matches routes case-insensitively; the rules must too.
      [viewer, 'vi', 'PUT', '/V1/Namespaces/shop/services/orders/POLICY', {}, 403],
    ];
    for (const [caller, who, method, path, body, expected] of cases) {
      const response = await caller.call(method, path, body);
      expect({ who, method, path, status: response.status }).toEqual({ who, method, path, status: expected });
      if (expected === 200 && method !== 'GET') expect(response.body.by).toBe(who);
      if (expected === 403) expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    }
  });

  it('issues API tokens per namespace, shows the secret once and stores only its hash', async () => {
    const created = await admin.call('POST', '/v1/tokens', {
      name: 'orders-svc',
      namespace: 'shop',
      role: 'service',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'orders-svc',
      namespace: 'shop',
      role: 'service',
      createdBy: 'admin',
    });
    const secret = created.body.token as string;
    expect(secret).toMatch(/^skt_/);

    const listed = await admin.call('GET', '/v1/tokens');
    expect(listed.body.tokens).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const rows = await server.app.get(DataSource).query('SELECT token_hash FROM access_api_tokens');
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(secret).digest('hex') }]);

    const service = anon.as(secret);
    const base = '/v1/namespaces/shop/services/orders/instances';
    const register = await service.call('POST', base, { host: '10.0.0.1', port: 80 });
    expect(register.status).toBe(201);
    expect(register.body.by).toBe('token:orders-svc');
    expect((await service.call('PUT', `${base}/i-1/heartbeat`)).status).toBe(200);
    expect((await service.call('GET', base)).status).toBe(200);
    expect((await service.call('DELETE', `${base}/i-1`)).status).toBe(204);
    // Outside its namespace, and beyond its role, the token gets 403.
    expect((await service.call('GET', '/v1/namespaces/other/services/orders/instances')).status).toBe(403);
    expect(
      (await service.call('POST', '/v1/namespaces/other/services/orders/instances', { host: 'h', port: 1 }))
        .status,
    ).toBe(403);
    expect((await service.call('PUT', '/v1/namespaces/shop/services/orders/policy', {})).status).toBe(403);
    expect((await service.call('PATCH', `${base}/i-1`, { weight: 1 })).status).toBe(403);
    expect((await service.call('GET', '/v1/tokens')).status).toBe(403);

    const automation = await admin.call('POST', '/v1/tokens', {
      name: 'deployer',
      namespace: 'shop',
      role: 'editor',
    });
    const deployer = anon.as(automation.body.token);
    expect((await deployer.call('PUT', '/v1/namespaces/shop/services/orders/policy', {})).body.by).toBe(
      'token:deployer',
    );
    expect((await deployer.call('PUT', '/v1/namespaces/other/services/orders/policy', {})).status).toBe(403);

    expect(
      (await admin.call('POST', '/v1/tokens', { name: 'orders-svc', namespace: 'shop', role: 'service' }))
        .status,
    ).toBe(409);
    const bad = await admin.call('POST', '/v1/tokens', { name: 'Bad Name', namespace: 'UP', role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.reasons).toHaveLength(3);

    expect((await admin.call('DELETE', `/v1/tokens/${created.body.id}`)).status).toBe(204);
    expect((await service.call('GET', base)).status).toBe(401);
  });

  it('expires API tokens created with a lifetime', async () => {
    const created = await admin.call('POST', '/v1/tokens', {
      name: 'short',
      namespace: '*',
      role: 'viewer',
      expiresInSeconds: 60,
    });
    const token = anon.as(created.body.token);
    expect((await token.call('GET', '/v1/namespaces/any/services')).status).toBe(200);
    now += 61_000;
    expect((await token.call('GET', '/v1/namespaces/any/services')).status).toBe(401);
  });

  it('throttles sign-in after 5 failures per user and address within a minute', async () => {
    await admin.call('POST', '/v1/users', { username: 'tess', password: 'tess-pass-12', role: 'viewer' });
    for (let i = 0; i < 5; i++) {
      const failed = await anon.call('POST', '/v1/auth/login', { username: 'tess', password: `wrong-${i}` });
      expect(failed.status).toBe(401);
    }
    const throttled = await anon.call('POST', '/v1/auth/login', {
      username: 'tess',
      password: 'tess-pass-12',
    });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is not affected.
    expect(
      (await anon.call('POST', '/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status,
    ).toBe(200);
    now += LOGIN_FAILURE_WINDOW_MS + 1;
    expect(
      (await anon.call('POST', '/v1/auth/login', { username: 'tess', password: 'tess-pass-12' })).status,
    ).toBe(200);
  });

  it('ends sessions on sign-out, on expiry, on a new password and on deletion', async () => {
    await admin.call('POST', '/v1/users', { username: 'sam', password: 'sam-pass-123', role: 'viewer' });
    const first = anon.as(await anon.login('sam', 'sam-pass-123'));
    expect((await first.call('POST', '/v1/auth/logout')).status).toBe(204);
    expect((await first.call('GET', '/v1/auth/me')).status).toBe(401);

    const second = anon.as(await anon.login('sam', 'sam-pass-123'));
    now += DEFAULT_SESSION_TTL_MS - 1000;
    expect((await second.call('GET', '/v1/auth/me')).status).toBe(200);
    now += 1000;
    expect((await second.call('GET', '/v1/auth/me')).status).toBe(401);
    // Admin's session started earlier: sign in again for the rest of the test.
    admin = anon.as(await anon.login('admin', ADMIN_PASSWORD));
    // Signing in sweeps every expired session (here: the admin's previous one).
    const expired = await server.app
      .get(DataSource)
      .query(`SELECT id FROM access_sessions WHERE expires_at <= ${now}`);
    expect(expired).toEqual([]);

    const third = anon.as(await anon.login('sam', 'sam-pass-123'));
    expect((await admin.call('PATCH', '/v1/users/sam', { password: 'sam-pass-456' })).status).toBe(200);
    expect((await third.call('GET', '/v1/auth/me')).status).toBe(401);
    expect(
      (await anon.call('POST', '/v1/auth/login', { username: 'sam', password: 'sam-pass-123' })).status,
    ).toBe(401);

    const fourth = anon.as(await anon.login('sam', 'sam-pass-456'));
    expect((await admin.call('DELETE', '/v1/users/sam')).status).toBe(204);
    expect((await fourth.call('GET', '/v1/auth/me')).status).toBe(401);
    expect((await admin.call('GET', '/v1/users/sam')).status).toBe(404);
  });

  it('lets a signed-in user change their own password, ending their other sessions', async () => {
    await admin.call('POST', '/v1/users', { username: 'pat', password: 'pat-pass-123', role: 'viewer' });
    const here = anon.as(await anon.login('pat', 'pat-pass-123'));
    const elsewhere = anon.as(await anon.login('pat', 'pat-pass-123'));
    const wrong = await here.call('POST', '/v1/auth/password', {
      currentPassword: 'nope',
      newPassword: 'pat-pass-456',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.reasons).toEqual(['currentPassword: is not the current password']);
    const weak = await here.call('POST', '/v1/auth/password', {
      currentPassword: 'pat-pass-123',
      newPassword: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.reasons).toEqual([expect.stringMatching(/^newPassword:/)]);
    expect(
      (
        await here.call('POST', '/v1/auth/password', {
          currentPassword: 'pat-pass-123',
          newPassword: 'pat-pass-456',
        })
      ).status,
    ).toBe(204);
    expect((await here.call('GET', '/v1/auth/me')).status).toBe(200);
    expect((await elsewhere.call('GET', '/v1/auth/me')).status).toBe(401);
    expect(
      (await anon.call('POST', '/v1/auth/login', { username: 'pat', password: 'pat-pass-456' })).status,
    ).toBe(200);
    const token = await admin.call('POST', '/v1/tokens', {
      name: 'no-password',
      namespace: 'shop',
      role: 'viewer',
    });
    const byToken = await anon
      .as(token.body.token)
      .call('POST', '/v1/auth/password', { currentPassword: 'x', newPassword: 'whatever-123' });
    expect(byToken.status).toBe(403);
  });

  it('applies a role change to open sessions at once and keeps the last admin', async () => {
    await admin.call('POST', '/v1/users', { username: 'rita', password: 'rita-pass-12', role: 'viewer' });
    const rita = anon.as(await anon.login('rita', 'rita-pass-12'));
    expect((await rita.call('PUT', '/v1/namespaces/shop/services/a/policy', {})).status).toBe(403);
    const promoted = await admin.call('PATCH', '/v1/users/rita', { role: 'editor', namespaces: ['shop'] });
    expect(promoted.body).toMatchObject({ role: 'editor', namespaces: ['shop'] });
    expect((await rita.call('PUT', '/v1/namespaces/shop/services/a/policy', {})).status).toBe(200);

    expect((await admin.call('DELETE', '/v1/users/admin')).status).toBe(409);
    expect((await admin.call('PATCH', '/v1/users/admin', { role: 'viewer' })).status).toBe(409);
    expect(
      (await admin.call('POST', '/v1/users', { username: 'rita', password: 'another-pass', role: 'viewer' }))
        .status,
    ).toBe(409);
    const invalid = await admin.call('POST', '/v1/users', {
      username: 'x y',
      password: 'short',
      role: 'editor',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^username:/), expect.stringMatching(/^password:/)]),
    );
    const users = await admin.call('GET', '/v1/users');
    expect(users.body.users.map((u: { username: string }) => u.username)).toContain('rita');
    expect(JSON.stringify(users.body)).not.toMatch(/argon2|password/i);
  });
});

describe('first start and loopback development', () => {
  let db: Database;

  beforeAll(() => {
    db = { kind: 'sqlite', file: sqliteFile(processes.tempDir('access-bootstrap-')) };
  });

  it('prints a random first-admin password once, and never again', async () => {
    const saved = process.env['SKYROAD_ADMIN_PASSWORD'];
    delete process.env['SKYROAD_ADMIN_PASSWORD'];
    try {
      const announced: string[] = [];
      const first = await startStandInApp(db, { announce: (m) => announced.push(m) });
      await first.close();
      expect(announced).toHaveLength(1);
      const password = /with password (\S+)/.exec(announced[0])?.[1];
      expect(password).toBeDefined();
      expect(password!.length).toBeGreaterThanOrEqual(20);

      const again: string[] = [];
      const second = await startStandInApp(db, { announce: (m) => again.push(m) });
      try {
        expect(again).toEqual([]);
        expect(
          (await new Caller(second.url).call('POST', '/v1/auth/login', { username: 'admin', password }))
            .status,
        ).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      if (saved !== undefined) process.env['SKYROAD_ADMIN_PASSWORD'] = saved;
    }
  });

  it('takes the first admin password from SKYROAD_ADMIN_PASSWORD', async () => {
    const saved = process.env['SKYROAD_ADMIN_PASSWORD'];
    process.env['SKYROAD_ADMIN_PASSWORD'] = 'from-the-environment';
    const announced: string[] = [];
    const fresh: Database = { kind: 'sqlite', file: sqliteFile(processes.tempDir('access-env-')) };
    const app = await startStandInApp(fresh, { announce: (m) => announced.push(m) });
    try {
      expect(announced).toEqual([]);
      const caller = new Caller(app.url);
      expect(
        (await caller.call('POST', '/v1/auth/login', { username: 'admin', password: 'from-the-environment' }))
          .status,
      ).toBe(200);
    } finally {
      await app.close();
      if (saved === undefined) delete process.env['SKYROAD_ADMIN_PASSWORD'];
      else process.env['SKYROAD_ADMIN_PASSWORD'] = saved;
    }
  });

  it('lets anonymous callers in on loopback listeners but still checks presented tokens', async () => {
    const app = await startStandInApp(db, { anonymousAllowed: true, adminPassword: 'unused-password' });
    try {
      const anon = new Caller(app.url);
      const put = await anon.call('PUT', '/v1/namespaces/shop/services/orders/policy', {});
      expect(put.status).toBe(200);
      expect(put.body.by).toBe('anonymous');
      expect((await anon.call('GET', '/v1/users')).status).toBe(200);

      // Anonymous callers act as an administrator here: give admin a known password.
      expect((await anon.call('PATCH', '/v1/users/admin', { password: 'known-admin-pass' })).status).toBe(
        200,
      );
      const admin = anon.as(await anon.login('admin', 'known-admin-pass'));
      await admin.call('POST', '/v1/users', { username: 'viv', password: 'viewer-pass-1', role: 'viewer' });
      const viewer = anon.as(await anon.login('viv', 'viewer-pass-1'));
      expect((await viewer.call('PUT', '/v1/namespaces/shop/services/orders/policy', {})).status).toBe(403);
      expect((await anon.as('sks_forged').call('GET', '/v1/namespaces')).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
