import { request } from 'node:https';
import { etcdctl, useProcessSet } from '@skyroad/testkit';
import { Etcd3 } from 'etcd3';
import { makeTestCerts, read, type TestCerts } from './support/certs';
import { startStoreCluster, type StoreCluster } from './support/store-cluster';
import { errorMessage } from './support/outcome';

/*
 * A 3-member cluster with TLS on both ports and client certificates required, then etcd's
 * auth on top: users, roles, range permissions and simple tokens, through etcdctl and etcd3.
 */

const processes = useProcessSet();
let certs: TestCerts;
let cluster: StoreCluster;

function httpsHealthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/health`,
      { ca: read(certs.ca), cert: read(certs.clientCert), key: read(certs.clientKey), timeout: 1_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const tlsFlags = () => [`--cacert=${certs.ca}`, `--cert=${certs.clientCert}`, `--key=${certs.clientKey}`];
const ctl = async (args: string[], input?: string) =>
  (await etcdctl(cluster.endpoints, [...tlsFlags(), ...args], input)).stdout;
const ctlError = (args: string[]) => errorMessage(etcdctl(cluster.endpoints, [...tlsFlags(), ...args]));

beforeAll(async () => {
  certs = makeTestCerts(processes.tempDir('certs-'));
  cluster = await startStoreCluster(processes, {
    size: 3,
    name: 'secure',
    scheme: 'https',
    ready: httpsHealthy,
    extraArgs: [
      `--cert-file=${certs.serverCert}`,
      `--key-file=${certs.serverKey}`,
      `--trusted-ca-file=${certs.ca}`,
      '--client-cert-auth',
      `--peer-cert-file=${certs.serverCert}`,
      `--peer-key-file=${certs.serverKey}`,
      `--peer-trusted-ca-file=${certs.ca}`,
      '--peer-client-cert-auth',
    ],
  });
}, 90_000);

describe('TLS', () => {
  it('replicates over TLS peer links and serves etcdctl with client certificates', async () => {
    await etcdctl([cluster.endpoints[0]], [...tlsFlags(), 'put', 'secure/k', 'v']);
    expect(
      (await etcdctl([cluster.endpoints[2]], [...tlsFlags(), 'get', 'secure/k', '--print-value-only']))
        .stdout,
    ).toBe('v\n');
  });

  it('refuses clients without a certificate', async () => {
    const error = await errorMessage(
      etcdctl(cluster.endpoints, [`--cacert=${certs.ca}`, '--dial-timeout=2s', 'get', 'x']),
    );
    expect(error).not.toBe('no error');
  });
});

describe('auth', () => {
  it('needs a root user with the root role before it can be enabled', async () => {
    await ctl(['user', 'add', 'root:rootpw']);
    // etcdctl grants the root role itself when etcd answers "root user does not have root role".
    expect(await ctl(['auth', 'enable'])).toContain('Authentication Enabled');
    expect(await ctl(['--user=root:rootpw', 'user', 'get', 'root'])).toBe('User: root\nRoles: root\n');
  });

  it('checks passwords, tokens and range permissions', async () => {
    expect(await ctlError(['get', 'any'])).toContain('etcdserver: user name is empty');
    expect(await ctlError(['--user=root:wrong', 'get', 'any'])).toContain(
      'etcdserver: authentication failed, invalid user ID or password',
    );
    const root = ['--user=root:rootpw'];
    await ctl([...root, 'put', 'team/a', '1']);
    await ctl([...root, 'put', 'other/b', '2']);
    await ctl([...root, 'role', 'add', 'team-reader']);
    await ctl([...root, 'role', 'grant-permission', 'team-reader', 'read', 'team/', '--prefix']);
    await ctl([...root, 'user', 'add', 'alice:alicepw']);
    await ctl([...root, 'user', 'grant-role', 'alice', 'team-reader']);
    expect(await ctl([...root, 'role', 'get', 'team-reader'])).toContain('[team/, team0) (prefix team/)');
    expect(await ctl([...root, 'user', 'list'])).toBe('alice\nroot\n');

    const alice = ['--user=alice:alicepw'];
    expect(await ctl([...alice, 'get', 'team/a', '--print-value-only'])).toBe('1\n');
    expect(await ctlError([...alice, 'get', 'other/b'])).toContain('etcdserver: permission denied');
    expect(await ctlError([...alice, 'put', 'team/a', 'x'])).toContain('etcdserver: permission denied');
    expect(await ctlError([...alice, 'member', 'list'])).toBe('no error');

    const client = new Etcd3({
      hosts: cluster.endpoints,
      credentials: {
        rootCertificate: read(certs.ca),
        certChain: read(certs.clientCert),
        privateKey: read(certs.clientKey),
      },
      auth: { username: 'alice', password: 'alicepw' },
    });
    try {
      expect(await client.get('team/a').string()).toBe('1');
      await expect(client.put('team/a').value('nope')).rejects.toThrow(/permission denied/);
    } finally {
      client.close();
    }
    await ctl([...root, 'auth', 'disable']);
    expect(await ctl(['get', 'other/b', '--print-value-only'])).toBe('2\n');
  });
});
