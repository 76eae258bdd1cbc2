import { gzipSync } from 'node:zlib';
import { connect, constants, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '@skyroad/testkit';
import { unary } from '../src/grpc/call-context';
import { EtcdError, Errors } from '../src/grpc/errors';
import { leanMethod } from '../src/grpc/lean-methods';
import type { Caller, StoreApi } from '../src/grpc/store-api';
import { serviceDefinition } from '../src/proto/load';
import { ClientPort } from '../src/server/client-port';
import { CONNECTION_WINDOW_BYTES } from '../src/server/connection-window';
import { createHookedInjector } from '../src/server/grpc-stream-hook';
import { LeanUnary } from '../src/server/lean-unary';
import { coalescing } from '../src/server/one-write-response';
import type { PutRequest, RangeRequest } from '../src/wire/types';

/*
 * The lean unary path against grpc-js itself: the same raw HTTP/2 requests go to a port whose
 * streams the lean path may claim and to a port served by grpc-js alone (one grpc.Server
 * behind both), and the answers must be the same bytes: headers, message and trailers, for
 * successes, etcd errors, and every edge grpc-js has an answer for. The store behind the calls
 * is reduced to tokens and a few keys that make a handler slow or fail: the transport is under
 * test here; apps/store/test/lean-grpc.spec.ts drives the real store with etcd's clients.
 */

const MAX_RECEIVE_BYTES = 64 * 1024;
const GOOD_TOKEN = 'good-token';
const SLOW_MS = 300;
const kv = serviceDefinition('KV');
const HEADER = { cluster_id: '1', member_id: '2', revision: '7', raft_term: '3' };

const api = {
  authView: () => ({ enabled: true }),
  checkToken: (token: string): Caller | undefined => (token === GOOD_TOKEN ? { user: 'alice' } : undefined),
} as unknown as StoreApi;

/** Keys of slow calls whose handler has finished. */
const slowDone: string[] = [];
const handlers = {
  Put: async (req: PutRequest, caller: Caller) => {
    const key = req.key.toString();
    if (key.startsWith('slow')) {
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
      slowDone.push(key);
    }
    if (key === 'denied') throw Errors.permissionDenied();
    if (key === 'odd')
      throw new EtcdError(grpc.status.FAILED_PRECONDITION, 'ключ "odd": 100% wrong\nline two');
    if (key === 'crash') throw new Error('plain failure');
    return { header: HEADER, prev_kv: { key: req.key, value: Buffer.from(caller.user ?? ''), version: '1' } };
  },
  Range: async (req: RangeRequest) => ({
    header: HEADER,
    kvs: [{ key: req.key, value: Buffer.alloc(100_000, 7), version: '1' }],
    count: '1',
  }),
  Compact: async () => ({ header: HEADER }),
};

const limits = { maxReceiveBytes: MAX_RECEIVE_BYTES, maxSendBytes: 2 ** 31 - 1 };
let grpcServer: grpc.Server;
let lean: LeanUnary;
let ports: ClientPort[];
let leanSession: ClientHttp2Session;
let grpcJsSession: ClientHttp2Session;
let leanPort: number;
let grpcJsPort: number;

beforeAll(async () => {
  grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxReceiveBytes,
    'grpc.max_send_message_length': limits.maxSendBytes,
    'grpc.enable_channelz': 0,
  });
  grpcServer.addService(kv, {
    Put: unary(api, handlers.Put),
    Range: unary(api, handlers.Range),
    Compact: unary(api, handlers.Compact),
  });
  lean = new LeanUnary(
    new Map([leanMethod(api, kv.Put, handlers.Put), leanMethod(api, kv.Range, handlers.Range)]),
    limits,
  );
  const gateway = (_req: unknown, res: { end(): void }) => res.end();
  ports = [
    new ClientPort(grpcServer, gateway, undefined, lean.claim),
    new ClientPort(grpcServer, gateway, undefined),
  ];
  [leanPort, grpcJsPort] = await freePorts(2);
  await ports[0].listen([`http://127.0.0.1:${leanPort}`]);
  await ports[1].listen([`http://127.0.0.1:${grpcJsPort}`]);
  leanSession = connect(`http://127.0.0.1:${leanPort}`);
  grpcJsSession = connect(`http://127.0.0.1:${grpcJsPort}`);
});

afterAll(async () => {
  leanSession?.close();
  grpcJsSession?.close();
  await Promise.all(ports.map((port) => port.close()));
  grpcServer.forceShutdown();
});

interface Answer {
  headers: Record<string, string>;
  body: string;
  trailers: Record<string, string>;
}

/** One gRPC call as bytes on an HTTP/2 stream; what came back, minus the date header. */
function call(
  session: ClientHttp2Session,
  path: string,
  body: Buffer,
  headers: OutgoingHttpHeaders = {},
  cancelAfterMs?: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const answer: Answer = { headers: {}, body: '', trailers: {} };
    const chunks: Buffer[] = [];
    const strings = (h: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(h)
          .filter(([k]) => k !== 'date')
          .map(([k, v]) => [k, String(v)]),
      );
    request.on('response', (h) => (answer.headers = strings(h)));
    request.on('trailers', (t) => (answer.trailers = strings(t)));
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', reject);
    request.on('close', () => resolve({ ...answer, body: Buffer.concat(chunks).toString('hex') }));
    request.end(body);
    if (cancelAfterMs !== undefined) setTimeout(() => request.close(constants.NGHTTP2_CANCEL), cancelAfterMs);
  });
}

/** The same call through the lean port and through grpc-js; both answers, after checking they match. */
async function both(path: string, body: Buffer, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  const claimedBefore = lean.claimed;
  const viaLean = await call(leanSession, path, body, headers);
  const viaGrpcJs = await call(grpcJsSession, path, body, headers);
  expect(viaLean).toEqual(viaGrpcJs);
  expect(lean.claimed).toBe(claimedBefore + 1);
  return viaLean;
}

function framed(message: Buffer, compressed = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

const put = (key: string, value = 'v') =>
  framed(kv.Put.requestSerialize({ key: Buffer.from(key), value: Buffer.from(value) }));
const token = { token: GOOD_TOKEN };

describe('reaching grpc-js streams', () => {
  it('finds the HTTP/2 server behind a grpc-js connection injector (fails if grpc-js changed)', () => {
    const server = new grpc.Server();
    expect(createHookedInjector(server, () => false).hooked).toBe(true);
    expect(createHookedInjector(server, undefined).hooked).toBe(false);
    expect(ports[0].streamsHooked).toBe(true);
    expect(ports[1].streamsHooked).toBe(false);
  });
});

describe('connection flow control', () => {
  it('opens every connection, lean or grpc-js, to CONNECTION_WINDOW_BYTES of requests, not 65,535', async () => {
    expect(ports.map((port) => port.windowsWidened)).toEqual([true, true]);
    for (const port of [leanPort, grpcJsPort]) {
      const session = connect(`http://127.0.0.1:${port}`);
      try {
        // The member sends its WINDOW_UPDATE as the connection opens: it is in before a ping's answer.
        await new Promise((resolve) => session.once('remoteSettings', resolve));
        await new Promise<void>((resolve, reject) =>
          session.ping((error) => (error ? reject(error) : resolve())),
        );
        expect(session.state.remoteWindowSize).toBe(CONNECTION_WINDOW_BYTES);
        // More request bytes than a default window in flight at once, all answered.
        const value = 'x'.repeat(1000);
        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) => call(session, kv.Put.path, put(`bulk-${i}`, value), token)),
        );
        expect(answers.map((a) => a.trailers['grpc-status'])).toEqual(answers.map(() => '0'));
      } finally {
        session.close();
      }
    }
  });
});

describe('answers exactly as grpc-js does', () => {
  it('answers a call with the message and OK trailers, in one write on this Node', async () => {
    const answer = await both(kv.Put.path, put('k', 'v'), token);
    expect(answer.headers).toEqual({
      ':status': '200',
      'content-type': 'application/grpc+proto',
      'grpc-accept-encoding': 'identity,deflate,gzip',
      'grpc-encoding': 'identity',
    });
    expect(answer.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'OK' });
    const response = kv.Put.responseDeserialize(Buffer.from(answer.body, 'hex').subarray(5)) as {
      header: { revision: string };
      prev_kv: { value: Buffer };
    };
    expect(response.header.revision).toBe('7');
    expect(response.prev_kv.value.toString()).toBe('alice'); // the caller came from the token
    expect(coalescing()).toBe(true);
  });

  it('sends a large answer whole', async () => {
    const answer = await both(
      kv.Range.path,
      framed(kv.Range.requestSerialize({ key: Buffer.from('r') })),
      token,
    );
    const response = kv.Range.responseDeserialize(Buffer.from(answer.body, 'hex').subarray(5)) as {
      kvs: { value: Buffer }[];
    };
    expect(response.kvs[0].value).toEqual(Buffer.alloc(100_000, 7));
    expect(answer.trailers['grpc-status']).toBe('0');
  });

  it("maps etcd's errors to their status, in a trailers-only answer", async () => {
    const denied = await both(kv.Put.path, put('denied'), token);
    expect(denied.headers['grpc-status']).toBe(String(grpc.status.PERMISSION_DENIED));
    expect(denied.headers['grpc-message']).toBe('etcdserver:%20permission%20denied');
    expect(denied.body).toBe('');
    expect(denied.trailers).toEqual({});

    const odd = await both(kv.Put.path, put('odd'), token);
    expect(decodeURIComponent(odd.headers['grpc-message'])).toBe('ключ "odd": 100% wrong\nline two');
    expect((await both(kv.Put.path, put('crash'), token)).headers['grpc-status']).toBe(
      String(grpc.status.UNKNOWN),
    );
  });

  it('takes the caller from the token header', async () => {
    const missing = await both(kv.Put.path, put('k'));
    expect(missing.headers['grpc-status']).toBe(String(grpc.status.INVALID_ARGUMENT));
    expect(decodeURIComponent(missing.headers['grpc-message'])).toBe('etcdserver: user name is empty');
    const bad = await both(kv.Put.path, put('k'), { token: 'stolen' });
    expect(bad.headers['grpc-status']).toBe(String(grpc.status.UNAUTHENTICATED));
  });

  it('refuses a message over the receive limit before reading it', async () => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(MAX_RECEIVE_BYTES + 1, 1);
    const answer = await both(kv.Put.path, Buffer.concat([prefix, Buffer.alloc(1000)]), token);
    expect(answer.headers['grpc-status']).toBe(String(grpc.status.RESOURCE_EXHAUSTED));
    expect(decodeURIComponent(answer.headers['grpc-message'])).toBe(
      `Received message larger than max (${MAX_RECEIVE_BYTES + 1} vs ${MAX_RECEIVE_BYTES})`,
    );
  });

  it('answers bodies that are not one well-formed message', async () => {
    const none = await both(kv.Put.path, Buffer.alloc(0), token);
    expect(none.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED));
    const two = await both(kv.Put.path, Buffer.concat([put('a'), put('b')]), token);
    expect(two.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED));
    const garbage = await both(kv.Put.path, framed(Buffer.from([0xff, 0xff, 0xff])), token);
    expect(garbage.headers['grpc-status']).toBe(String(grpc.status.INTERNAL));
    expect(decodeURIComponent(garbage.headers['grpc-message'])).toBe('Error deserializing request');
  });

  it('reads a message flagged compressed under identity encoding as plain, as grpc-js does', async () => {
    const body = framed(kv.Put.requestSerialize({ key: Buffer.from('k') }), 1);
    expect((await both(kv.Put.path, body, token)).trailers['grpc-status']).toBe('0');
  });

  it('honours grpc-timeout', async () => {
    const answer = await both(kv.Put.path, put('slow'), { ...token, 'grpc-timeout': '50m' });
    expect(answer.headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED));
    expect(answer.headers['grpc-message']).toBe('Deadline%20exceeded');
  });
});

describe('what it leaves to grpc-js', () => {
  it('hands compressed calls, other methods and odd timeouts to grpc-js on the same connection', async () => {
    const before = lean.claimed;
    const gzipped = framed(gzipSync(kv.Put.requestSerialize({ key: Buffer.from('z') })), 1);
    const compressed = await call(leanSession, kv.Put.path, gzipped, { ...token, 'grpc-encoding': 'gzip' });
    expect(compressed.trailers['grpc-status']).toBe('0');
    const compact = await call(leanSession, kv.Compact.path, framed(Buffer.alloc(0)), token);
    expect(compact.trailers['grpc-status']).toBe('0');
    const badTimeout = await call(leanSession, kv.Put.path, put('k'), { ...token, 'grpc-timeout': 'soon' });
    expect(badTimeout.headers['grpc-status']).toBe(String(grpc.status.INTERNAL));
    expect(lean.claimed).toBe(before);
  });

  it('serves a grpc-js client (as the etcd3 package uses it)', async () => {
    const Client = grpc.makeGenericClientConstructor(kv, 'KV');
    const client = new Client(`127.0.0.1:${leanPort}`, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('token', GOOD_TOKEN);
      const response = await new Promise<{ header: { revision: string } }>((resolve, reject) =>
        client.Put(
          { key: Buffer.from('k') },
          metadata,
          (error: Error | null, value: { header: { revision: string } }) =>
            error ? reject(error) : resolve(value),
        ),
      );
      expect(response.header.revision).toBe('7');
    } finally {
      client.close();
    }
  });
});

describe('a client going away', () => {
  it('drops the answer of a cancelled call and keeps the connection serving', async () => {
    const cancelled = await call(leanSession, kv.Put.path, put('slow-cancelled'), token, 20);
    expect(cancelled.headers).toEqual({});
    expect(cancelled.trailers).toEqual({});
    const deadline = Date.now() + 5 * SLOW_MS;
    while (!slowDone.includes('slow-cancelled') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The handler finished after the reset and its answer went nowhere, without an error.
    expect(slowDone).toContain('slow-cancelled');
    const next = await call(leanSession, kv.Put.path, put('k'), token);
    expect(next.trailers['grpc-status']).toBe('0');
    expect(leanSession.destroyed).toBe(false);
  });
});
