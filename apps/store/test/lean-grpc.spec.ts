import { connect } from 'node:http2';
import { etcdctl, useProcessSet, waitFor } from '@skyroad/testkit';
import { GRPC_OVERHEAD_BYTES } from '@skyroad/store-server';
import { Etcd3 } from 'etcd3';
import { startStoreCluster, type StoreCluster } from './support/store-cluster';
import { errorMessage } from './support/outcome';

/*
 * The hot unary calls (KV Range, Put, DeleteRange, Txn; Lease grant and revoke) take the
 * store's lean gRPC path, the other calls grpc-js. Both of etcd's client stacks drive it here:
 * the etcd3 package (grpc-js, on Node's native HTTP/2 path) and etcdctl 3.4 (Go's clientv3,
 * on the :authority-rewriting path): answers, etcd's errors, the gRPC size limit, the auth
 * token, and streams and calls grpc-js serves on the same connection.
 */

const processes = useProcessSet();
const MAX_REQUEST_BYTES = 64 * 1024;
let cluster: StoreCluster;
let ep: string[];

const ctl = async (args: string[], input?: string) => (await etcdctl(ep, args, input)).stdout;
const ctlError = (args: string[], input?: string) => errorMessage(etcdctl(ep, args, input));

beforeAll(async () => {
  cluster = await startStoreCluster(processes, {
    size: 1,
    name: 'lean',
    extraArgs: [`--max-request-bytes=${MAX_REQUEST_BYTES}`],
  });
  ep = cluster.endpoints;
}, 60_000);

describe('the etcd3 client (grpc-js)', () => {
  it('puts, gets, deletes, runs transactions and grants leases', async () => {
    const client = new Etcd3({ hosts: ep });
    try {
      await client.put('lean/a').value('1');
      await client.put('lean/b').value('2');
      expect(await client.get('lean/a').string()).toBe('1');
      expect(await client.getAll().prefix('lean/').strings()).toEqual({ 'lean/a': '1', 'lean/b': '2' });
      const txn = await client
        .if('lean/a', 'Value', '==', '1')
        .then(client.put('lean/t').value('yes'))
        .commit();
      expect(txn.succeeded).toBe(true);
      expect(await client.get('lean/t').string()).toBe('yes');
      expect((await client.delete().key('lean/b')).deleted).toBe('1');
      expect(await client.get('lean/b').string()).toBeNull();

      const lease = client.lease(30, { autoKeepAlive: false });
      await lease.put('lean/leased').value('x');
      expect(await client.get('lean/leased').string()).toBe('x');
      await lease.revoke();
      expect(await client.get('lean/leased').string()).toBeNull();
    } finally {
      client.close();
    }
  });

  it("gets etcd's errors and the gRPC size limit", async () => {
    const client = new Etcd3({ hosts: ep });
    try {
      const duplicate = client
        .if('lean/a', 'Value', '==', '1')
        .then(client.put('d').value('1'), client.put('d').value('2'));
      expect(await errorMessage(duplicate.commit())).toContain(
        'etcdserver: duplicate key given in txn request',
      );
      expect(
        await errorMessage(
          client
            .put('big')
            .value('b'.repeat(MAX_REQUEST_BYTES + 1))
            .exec(),
        ),
      ).toContain('etcdserver: request is too large');
      expect(await client.get('big').string()).toBeNull();
      // Over the gRPC limit the message is refused before it is read, with RESOURCE_EXHAUSTED
      // (last: etcd3 then opens its circuit breaker for the host).
      expect(
        await errorMessage(
          client
            .put('huge')
            .value('h'.repeat(MAX_REQUEST_BYTES + GRPC_OVERHEAD_BYTES + 1))
            .exec(),
        ),
      ).toMatch(/larger than max/);
    } finally {
      client.close();
    }
  });

  it('keeps watches, keep-alives and maintenance calls working on the same connection', async () => {
    const client = new Etcd3({ hosts: ep });
    try {
      const watcher = await client.watch().key('lean/w').create();
      const seen: string[] = [];
      watcher.on('put', (kv) => seen.push(kv.value.toString()));
      await client.put('lean/w').value('watched');
      await waitFor(async () => seen.includes('watched'), { what: 'the watch event of a lean put' });
      await watcher.cancel();

      const lease = client.lease(30, { autoKeepAlive: false });
      await lease.grant();
      expect(Number((await lease.keepaliveOnce()).TTL)).toBeGreaterThan(0);
      await lease.revoke();

      const status = await client.maintenance.status();
      expect(status.leader).toBe(status.header.member_id);
    } finally {
      client.close();
    }
  });
});

describe('etcdctl (Go clientv3)', () => {
  it('puts, gets, deletes and runs transactions', async () => {
    expect(await ctl(['put', 'go/a', '1'])).toBe('OK\n');
    expect(await ctl(['get', 'go/a', '--print-value-only'])).toBe('1\n');
    expect(await ctl(['txn'], 'value("go/a") = "1"\n\nput go/t yes\n\n\n')).toBe('SUCCESS\n\nOK\n');
    expect(await ctl(['del', 'go/', '--prefix'])).toBe('2\n');
    const lease = /lease ([0-9a-f]+) granted/.exec(await ctl(['lease', 'grant', '30']))![1];
    expect(await ctl(['lease', 'revoke', lease])).toContain('revoked');
    expect(await ctl(['endpoint', 'status', '-w', 'json'])).toContain('"leader"');
  });

  it("gets etcd's errors", async () => {
    expect(await ctlError(['put', '', 'x'])).toContain('etcdserver: key is not provided');
    expect(await ctlError(['put', 'big', 'b'.repeat(MAX_REQUEST_BYTES + 1)])).toContain(
      'etcdserver: request is too large',
    );
  });
});

/** A Put on a bare HTTP/2 stream, with the token given (gRPC framing around key "k"). */
function rawPut(token: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const session = connect(ep[0]);
    session.on('error', reject);
    const request = session.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.KV/Put',
      'content-type': 'application/grpc',
      te: 'trailers',
      token,
    });
    request.on('response', (headers) => resolve(headers));
    request.on('error', reject);
    request.on('close', () => session.close());
    request.end(Buffer.from([0, 0, 0, 0, 3, 0x0a, 0x01, 0x6b]));
  });
}

describe('auth through the lean path', () => {
  it('takes the caller from the token and checks permissions', async () => {
    await ctl(['user', 'add', 'root:rootpw']);
    expect(await ctl(['auth', 'enable'])).toContain('Authentication Enabled');
    const root = ['--user=root:rootpw'];
    try {
      await ctl([...root, 'put', 'team/a', '1']);
      await ctl([...root, 'role', 'add', 'reader']);
      await ctl([...root, 'role', 'grant-permission', 'reader', 'read', 'team/', '--prefix']);
      await ctl([...root, 'user', 'add', 'alice:alicepw']);
      await ctl([...root, 'user', 'grant-role', 'alice', 'reader']);

      expect(await ctlError(['get', 'team/a'])).toContain('etcdserver: user name is empty');
      expect(await ctl(['--user=alice:alicepw', 'get', 'team/a', '--print-value-only'])).toBe('1\n');
      expect(await ctlError(['--user=alice:alicepw', 'put', 'team/a', '2'])).toContain(
        'etcdserver: permission denied',
      );

      const alice = new Etcd3({ hosts: ep, auth: { username: 'alice', password: 'alicepw' } });
      try {
        expect(await alice.get('team/a').string()).toBe('1');
        expect(await errorMessage(alice.put('team/a').value('2').exec())).toContain(
          'etcdserver: permission denied',
        );
        expect(await errorMessage(alice.delete().key('team/a').exec())).toContain(
          'etcdserver: permission denied',
        );
      } finally {
        alice.close();
      }

      const forged = await rawPut('not-a-token');
      expect(forged['grpc-status']).toBe('16'); // UNAUTHENTICATED
      expect(decodeURIComponent(String(forged['grpc-message']))).toBe('etcdserver: invalid auth token');
    } finally {
      await ctl([...root, 'auth', 'disable']);
    }
    expect(await ctl(['get', 'team/a', '--print-value-only'])).toBe('1\n');
  });
});
