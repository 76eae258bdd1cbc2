import { etcdctl, etcdctlBinary, waitFor, useProcessSet, type ManagedProcess } from '@skyroad/testkit';
import { Etcd3 } from 'etcd3';
import { spawnMember, startStoreCluster, type StoreCluster } from './support/store-cluster';
import { errorMessage } from './support/outcome';

/*
 * One skyroad-store member driven by the real etcdctl 3.4, the etcd3 npm client and fetch:
 * the KV, watch and lease command families, etcd's refusals, the JSON gateway, and a
 * restart from the data directory alone.
 */

const processes = useProcessSet();
let cluster: StoreCluster;
let ep: string[];

const ctl = async (args: string[], input?: string) => (await etcdctl(ep, args, input)).stdout;
const ctlError = (args: string[], input?: string) => errorMessage(etcdctl(ep, args, input));

function watchProcess(name: string, args: string[]): Promise<ManagedProcess> {
  return processes.spawn({
    name,
    command: etcdctlBinary(),
    args: [`--endpoints=${ep.join(',')}`, 'watch', ...args],
    env: { ETCDCTL_API: '3' },
  });
}

beforeAll(async () => {
  cluster = await startStoreCluster(processes, { size: 1, name: 'single' });
  ep = cluster.endpoints;
}, 60_000);

describe('etcdctl against one member', () => {
  it('puts, gets with etcd flags, and deletes', async () => {
    expect(await ctl(['put', 'app/a', '1'])).toBe('OK\n');
    await ctl(['put', 'app/b', '2']);
    await ctl(['put', 'app/c', '3']);
    expect(await ctl(['get', 'app/', '--prefix', '--keys-only'])).toBe('app/a\n\napp/b\n\napp/c\n\n');
    expect(await ctl(['get', 'app/', '--prefix', '--limit=2', '--print-value-only'])).toBe('1\n2\n');
    expect(await ctl(['get', 'app/b', '--from-key', '--print-value-only'])).toBe('2\n3\n');
    expect(
      await ctl(['get', 'app/', '--prefix', '--sort-by=KEY', '--order=DESCEND', '--print-value-only']),
    ).toBe('3\n2\n1\n');
    const json = JSON.parse(await ctl(['get', 'app/a', '-w', 'json']));
    expect(json.header.revision).toBeGreaterThanOrEqual(3);
    expect(Buffer.from(json.kvs[0].value, 'base64').toString()).toBe('1');

    const rev = Number(JSON.parse(await ctl(['put', 'hist', 'v1', '-w', 'json'])).header.revision);
    await ctl(['put', 'hist', 'v2']);
    expect(await ctl(['get', 'hist', `--rev=${rev}`, '--print-value-only'])).toBe('v1\n');
    expect(await ctl(['get', 'hist', '--print-value-only'])).toBe('v2\n');
    expect(await ctl(['put', 'hist', 'v3', '--prev-kv'])).toBe('OK\nhist\nv2\n');

    expect(await ctl(['del', 'app/', '--prefix', '--prev-kv'])).toBe('3\napp/a\n1\napp/b\n2\napp/c\n3\n');
    expect(await ctl(['get', 'app/', '--prefix'])).toBe('');
  });

  it('runs transactions read from stdin', async () => {
    await ctl(['put', 'txn/flag', 'on']);
    const txn = 'value("txn/flag") = "on"\n\nput txn/result yes\n\nput txn/result no\n\n';
    expect(await ctl(['txn'], txn)).toBe('SUCCESS\n\nOK\n');
    expect(await ctl(['get', 'txn/result', '--print-value-only'])).toBe('yes\n');
    const failing =
      'mod("txn/flag") > "1000000"\n\nput txn/result yes\n\nput txn/result no\nget txn/flag\n\n';
    expect(await ctl(['txn'], failing)).toBe('FAILURE\n\nOK\n\ntxn/flag\non\n');
    expect(await ctl(['get', 'txn/result', '--print-value-only'])).toBe('no\n');

    // A transaction that only reads is answered without a new revision.
    const revision = async () => JSON.parse(await ctl(['get', 'txn/flag', '-w', 'json'])).header.revision;
    const before = await revision();
    expect(await ctl(['txn'], 'value("txn/flag") = "on"\n\nget txn/result\n\nget txn/flag\n\n')).toBe(
      'SUCCESS\n\ntxn/result\nno\n',
    );
    expect(await revision()).toBe(before);
  });

  it('watches live and from a past revision', async () => {
    const rev = Number(JSON.parse(await ctl(['put', 'w/1', 'first', '-w', 'json'])).header.revision);
    const live = await watchProcess('watch-live', ['w/', '--prefix']);
    const history = await watchProcess('watch-history', ['w/', '--prefix', `--rev=${rev}`]);
    await waitFor(() => history.logTail().includes('first'), { what: 'history replayed' });
    // A live watch has no handshake output: keep writing until it reports one.
    await waitFor(
      async () => {
        await ctl(['put', 'w/2', 'second']);
        return live.logTail().includes('second');
      },
      { what: 'live watch event', intervalMs: 300 },
    );
    await ctl(['del', 'w/1']);
    await waitFor(() => /DELETE\nw\/1/.test(live.logTail()), { what: 'delete event' });
    expect(history.logTail()).toMatch(/^PUT\nw\/1\nfirst\nPUT\nw\/2\nsecond/);
  });

  it('grants, keeps alive, inspects and revokes leases', async () => {
    const granted = await ctl(['lease', 'grant', '60']);
    const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(granted)![1];
    await ctl(['put', 'leased', 'x', `--lease=${id}`]);
    expect(await ctl(['lease', 'keep-alive', '--once', id])).toBe(`lease ${id} keepalived with TTL(60)\n`);
    expect(await ctl(['lease', 'timetolive', id, '--keys'])).toMatch(
      new RegExp(
        `lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)`,
      ),
    );
    expect(await ctl(['lease', 'list'])).toContain(id);
    expect(await ctl(['lease', 'revoke', id])).toBe(`lease ${id} revoked\n`);
    expect(await ctl(['get', 'leased'])).toBe('');
    expect(await ctl(['lease', 'timetolive', id])).toBe(`lease ${id} already expired\n`);
  });

  it('expires a lease that is not kept alive, deleting its keys', async () => {
    const id = /lease ([0-9a-f]+)/.exec(await ctl(['lease', 'grant', '2']))![1];
    await ctl(['put', 'short', 'lived', `--lease=${id}`]);
    await waitFor(async () => (await ctl(['get', 'short'])) === '', {
      timeoutMs: 15_000,
      what: 'lease expiry',
    });
  });

  it('refuses unknown leases, compacted revisions and oversized requests as etcd does', async () => {
    expect(await ctlError(['lease', 'revoke', '123abc'])).toContain('etcdserver: requested lease not found');
    expect(await ctlError(['put', 'k', 'v', '--lease=123abc'])).toContain(
      'etcdserver: requested lease not found',
    );
    const rev = Number(JSON.parse(await ctl(['put', 'c', '1', '-w', 'json'])).header.revision);
    await ctl(['put', 'c', '2']);
    expect(await ctl(['compaction', String(rev + 1)])).toBe(`compacted revision ${rev + 1}\n`);
    expect(await ctlError(['get', 'c', `--rev=${rev}`])).toContain(
      'mvcc: required revision has been compacted',
    );
    // Over --max-request-bytes (1.5 MiB) but under the gRPC limit: etcd's own refusal.
    const big = 'x'.repeat(1.6 * 1024 * 1024);
    expect(await ctlError(['put', 'big'], big)).toContain('etcdserver: request is too large');
    expect(await ctl(['get', 'big'])).toBe('');
  });

  it('reports status, health and hash to etcdctl', async () => {
    const status = JSON.parse(await ctl(['endpoint', 'status', '-w', 'json']))[0].Status;
    expect(status.leader).toBe(status.header.member_id);
    expect(status.raftAppliedIndex).toBeGreaterThan(0);
    expect((await etcdctl(ep, ['endpoint', 'health'])).stderr).toMatch(
      /is healthy: successfully committed proposal/,
    );
    expect(await ctl(['endpoint', 'hashkv', '-w', 'json'])).toContain('"hash"');
    // etcdctl dials these with the member's URL (http://...) as the HTTP/2 :authority.
    expect(await ctl(['endpoint', 'status', '--cluster'])).toContain(ep[0]);
  });
});

describe('the etcd3 npm client against one member', () => {
  it('puts, reads, watches and uses leases', async () => {
    const client = new Etcd3({ hosts: ep });
    try {
      await client.put('n/one').value('1');
      expect(await client.get('n/one').string()).toBe('1');
      const watcher = await client.watch().prefix('n/').create();
      const seen = new Promise<string>((resolve) => watcher.on('put', (kv) => resolve(kv.value.toString())));
      await client.put('n/two').value('2');
      expect(await seen).toBe('2');
      await watcher.cancel();
      const lease = client.lease(30);
      await lease.put('n/leased').value('L');
      expect(await client.get('n/leased').string()).toBe('L');
      await lease.revoke();
      expect(await client.get('n/leased').string()).toBeNull();
      const result = await client
        .if('n/one', 'Value', '==', '1')
        .then(client.put('n/txn').value('ok'))
        .commit();
      expect(result.succeeded).toBe(true);
      await expect(client.put('n/huge').value(Buffer.alloc(1.6 * 1024 * 1024))).rejects.toThrow(
        /request is too large/,
      );
    } finally {
      client.close();
    }
  });
});

describe('the JSON gateway', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${ep[0]}${path}`, { method: 'POST', body: JSON.stringify(body) });
    // JSON of many shapes; the assertions below are what check it.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('serves KV, lease, cluster and maintenance calls with etcd JSON', async () => {
    const put = await post('/v3/kv/put', { key: b64('gw'), value: b64('hello') });
    expect(put.status).toBe(200);
    expect(typeof put.body.header.revision).toBe('string');
    const range = await post('/v3/kv/range', { key: b64('gw') });
    expect(Buffer.from(range.body.kvs[0].value, 'base64').toString()).toBe('hello');
    expect(range.body.count).toBe('1');
    const txn = await post('/v3/kv/txn', {
      compare: [{ key: b64('gw'), result: 'EQUAL', target: 'VALUE', value: b64('hello') }],
      success: [{ requestPut: { key: b64('gw2'), value: b64('yes') } }],
    });
    expect(txn.body.succeeded).toBe(true);
    const lease = await post('/v3/lease/grant', { TTL: 30 });
    expect(Number(lease.body.TTL)).toBe(30);
    const ttl = await post('/v3/lease/timetolive', { ID: lease.body.ID });
    expect(Number(ttl.body.grantedTTL)).toBe(30);
    const members = await post('/v3/cluster/member/list', {});
    expect(members.body.members).toHaveLength(1);
    const status = await post('/v3/maintenance/status', {});
    expect(status.body.leader).toBe(status.body.header.member_id);
    const del = await post('/v3/kv/deleterange', { key: b64('gw'), prev_kv: true });
    expect(del.body.deleted).toBe('1');
    const bad = await post('/v3/kv/put', { key: '', value: b64('x') });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('etcdserver: key is not provided');
    const unknownLease = await post('/v3/lease/revoke', { ID: '12345' });
    expect(unknownLease.status).toBe(404);
    expect(unknownLease.body.error).toBe('etcdserver: requested lease not found');
  });

  it('streams watch events and serves /health, /version and /metrics', async () => {
    const controller = new AbortController();
    const response = await fetch(`${ep[0]}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('gw-watch') } }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += Buffer.from((await reader.read()).value!).toString();
    };
    await readUntil(/"created":true/);
    await post('/v3/kv/put', { key: b64('gw-watch'), value: b64('streamed') });
    await readUntil(/"events"/);
    expect(text).toContain(b64('streamed'));
    controller.abort();

    const health = await fetch(`${ep[0]}/health`);
    expect(await health.json()).toEqual({ health: 'true', reason: '' });
    expect(await (await fetch(`${ep[0]}/version`)).json()).toHaveProperty('etcdserver');
    const metrics = await (await fetch(`${ep[0]}/metrics`)).text();
    expect(metrics).toMatch(/^etcd_server_has_leader 1$/m);
  });
});

describe('restart', () => {
  it('comes back from its data dir alone with every acknowledged write', async () => {
    await ctl(['put', 'durable', 'yes']);
    const before = JSON.parse(await ctl(['endpoint', 'status', '-w', 'json']))[0].Status.header.member_id;
    const member = cluster.members[0];
    await member.process.stop();
    const args = [
      '--name',
      member.name,
      '--data-dir',
      member.dataDir,
      '--listen-client-urls',
      member.clientUrl,
      '--listen-peer-urls',
      member.peerUrl,
    ];
    member.process = await spawnMember(processes, `${member.name}-again`, args, member.clientUrl);
    expect(await ctl(['get', 'durable', '--print-value-only'])).toBe('yes\n');
    expect(await ctl(['get', 'hist', '--print-value-only'])).toBe('v3\n');
    const after = JSON.parse(await ctl(['endpoint', 'status', '-w', 'json']))[0].Status.header.member_id;
    expect(after).toBe(before);
  });
});
