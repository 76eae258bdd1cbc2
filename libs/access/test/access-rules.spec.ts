import { isLoopbackHost, permits, requirementFor, type Principal } from '../src';

/* The rule table on its own: which registry route needs what, and who meets it. */
describe('requirementFor', () => {
  it.each([
    ['GET', '/health', 'public'],
    ['GET', '/ready?verbose=1', 'public'],
    ['GET', '/metrics', 'public'],
    ['POST', '/v1/auth/login', 'public'],
    ['POST', '/health', 'admin'],
    ['GET', '/v1/auth/me', 'signed-in'],
    ['POST', '/v1/auth/logout', 'signed-in'],
    ['GET', '/v1/users', 'admin'],
    ['DELETE', '/v1/tokens/abc', 'admin'],
    ['GET', '/openapi.json', 'read'],
    ['GET', '/v1/namespaces/shop/services', 'read'],
    ['POST', '/v1/namespaces/shop/services/a/instances', 'instance-lifecycle'],
    ['PUT', '/v1/namespaces/shop/services/a/instances/i/heartbeat', 'instance-lifecycle'],
    ['DELETE', '/v1/namespaces/shop/services/a/instances/i', 'instance-lifecycle'],
    ['PATCH', '/v1/namespaces/shop/services/a/instances/i', 'instance-operate'],
    ['PUT', '/v1/namespaces/shop/services/a/policy', 'policy-write'],
    ['POST', '/v1/namespaces/shop/services/a/policy/rollback', 'policy-write'],
    ['PUT', '/v1/namespaces/shop/services/a/policy/history', 'admin'],
    ['POST', '/v1/namespaces', 'admin'],
    ['DELETE', '/v1/namespaces/shop', 'admin'],
    ['PUT', '//v1//namespaces/shop/services/a/policy/', 'policy-write'],
    ['PUT', '/V1/NAMESPACES/Shop/services/a/policy', 'policy-write'],
  ])('%s %s needs %s', (method, url, kind) => {
    expect(requirementFor(method, url).kind).toBe(kind);
  });

  it('names the namespace of namespaced routes', () => {
    expect(requirementFor('PUT', '/v1/namespaces/Shop/services/a/policy')).toEqual({
      kind: 'policy-write',
      namespace: 'shop',
    });
    expect(requirementFor('GET', '/v1/namespaces/shop%2fother/services')).toEqual({
      kind: 'read',
      namespace: 'shop/other',
    });
  });
});

describe('permits', () => {
  const editor: Principal = {
    kind: 'user',
    name: 'ed',
    userId: 'u',
    role: 'editor',
    namespaces: ['shop'],
    sessionId: 's',
    sessionExpiresAt: 0,
  };
  const everywhere: Principal = {
    kind: 'token',
    name: 'token:ci',
    tokenId: 't',
    role: 'editor',
    namespaces: ['*'],
  };

  it('keeps editors to their namespaces and away from administration', () => {
    expect(permits(editor, { kind: 'policy-write', namespace: 'shop' })).toBe(true);
    expect(permits(editor, { kind: 'policy-write', namespace: 'shop/other' })).toBe(false);
    expect(permits(editor, { kind: 'admin' })).toBe(false);
  });

  it('lets a token for every namespace write anywhere but never administer', () => {
    expect(permits(everywhere, { kind: 'policy-write', namespace: 'anything' })).toBe(true);
    expect(permits(everywhere, { kind: 'admin' })).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['127.0.0.1.example.com', false],
  ])('%s -> %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
