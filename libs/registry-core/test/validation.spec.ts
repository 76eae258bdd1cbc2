import {
  InvalidInputError,
  defaultInstanceId,
  identityFromAuthorization,
  instanceKey,
  isValidHost,
  nameSchema,
  instanceIdSchema,
  parseKey,
  parseOrThrow,
  registerInstanceSchema,
} from '../src';

describe('names and keys', () => {
  it('accepts only names that stay one path segment under their prefix', () => {
    for (const ok of ['default', 'orders', 'a', 'pay.v2', 'x-1_y'])
      expect(nameSchema.safeParse(ok).success).toBe(true);
    for (const bad of ['', '.', '..', '../x', 'a/b', 'Orders', '-a', 'a-', 'a'.repeat(64), 'é']) {
      expect(nameSchema.safeParse(bad).success).toBe(false);
    }
    for (const ok of ['orders-10.0.0.5-8080', 'A:b_c.d-1'])
      expect(instanceIdSchema.safeParse(ok).success).toBe(true);
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(129)])
      expect(instanceIdSchema.safeParse(bad).success).toBe(false);
  });

  it('round-trips keys through parseKey', () => {
    expect(parseKey(instanceKey('default', 'orders', 'i-1'))).toEqual({
      kind: 'instance',
      namespace: 'default',
      service: 'orders',
      id: 'i-1',
    });
    expect(parseKey('/skyroad/governance/default/orders/policy')).toEqual({
      kind: 'policy',
      namespace: 'default',
      service: 'orders',
    });
    expect(parseKey('/skyroad/meta/namespaces/staging')).toEqual({ kind: 'namespace', namespace: 'staging' });
    expect(parseKey('/skyroad/registry/default/orders')).toEqual({ kind: 'other' });
  });

  it('accepts hostnames and IP literals as hosts', () => {
    for (const ok of ['10.0.0.5', '::1', 'fe80::1', 'svc.ns.cluster.local', 'localhost', 'a-b.example.']) {
      expect(isValidHost(ok)).toBe(true);
    }
    for (const bad of ['', 'a b', 'http://x', '-a.com', 'a..b', 'x'.repeat(254), 'host:80'])
      expect(isValidHost(bad)).toBe(false);
  });

  it('derives a stable default id, hashing endpoints that would not make a valid one', () => {
    expect(defaultInstanceId('orders', '10.0.0.5', 8080)).toBe('orders-10.0.0.5-8080');
    const long = defaultInstanceId('orders', `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`, 80);
    expect(instanceIdSchema.safeParse(long).success).toBe(true);
    expect(long).toBe(defaultInstanceId('orders', `${'a'.repeat(60)}.${'b'.repeat(60)}.example.com`, 80));
  });

  it('throws InvalidInputError with one reason per problem', () => {
    let caught: unknown;
    try {
      parseOrThrow(registerInstanceSchema, { host: 1, port: 0, ttl: 3601, weight: -1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).reasons.map((r) => r.split(':')[0]).sort()).toEqual([
      'host',
      'port',
      'ttl',
      'weight',
    ]);
  });
});

describe('identityFromAuthorization', () => {
  const jwt = (claims: object) =>
    `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

  it('names the caller by JWT subject, by token fingerprint, or anonymous', () => {
    expect(identityFromAuthorization(undefined)).toBe('anonymous');
    expect(identityFromAuthorization('Basic abc')).toBe('anonymous');
    expect(identityFromAuthorization(jwt({ sub: 'alice' }))).toBe('alice');
    const fingerprint = identityFromAuthorization('Bearer opaque-token');
    expect(fingerprint).toMatch(/^token:[0-9a-f]{12}$/);
    expect(identityFromAuthorization('Bearer other-token')).not.toBe(fingerprint);
    expect(identityFromAuthorization(jwt({ sub: 'has space' }))).toMatch(/^token:/);
  });
});
