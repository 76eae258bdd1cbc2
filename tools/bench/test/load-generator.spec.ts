import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HttpGetPool } from '../src/cluster/http-get-pool';
import { openLoop } from '../src/load';

/**
 * A keep-alive HTTP/1.1 server answering each GET with `body`, the head split in two writes
 * and the body in `pieces` writes, each after a turn of the event loop: the client sees the
 * answer over many reads, its head included.
 */
function startServer(body: Buffer, pieces: number): Promise<{ server: Server; url: string }> {
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const step = Math.ceil(body.length / pieces);
  const writes = [head.slice(0, 30), head.slice(30)];
  for (let at = 0; at < body.length; at += step) writes.push(body.subarray(at, at + step).toString());
  const server = createServer((socket) => {
    socket.on('data', () => {
      let i = 0;
      const next = () => {
        if (i < writes.length && !socket.destroyed) {
          socket.write(writes[i++]);
          setTimeout(next, 1);
        }
      };
      next();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe('the open-loop load generator', () => {
  const body = Buffer.alloc(35_000, 'x');
  let server: Server;
  let url: string;
  beforeAll(async () => ({ server, url } = await startServer(body, 7)));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('counts answers arriving over many reads on reused connections, and rejects a wrong length', async () => {
    const pool = new HttpGetPool(url, '/x', 2, { status: 200, bodyBytes: body.length });
    try {
      for (let i = 0; i < 10; i++) await Promise.all([pool.get(), pool.get(), pool.get()]);
    } finally {
      pool.close();
    }
    const wrong = new HttpGetPool(url, '/x', 1, { status: 200, bodyBytes: body.length + 1 });
    try {
      await expect(wrong.get()).rejects.toThrow(/expected 200 with 35001 body bytes/);
    } finally {
      wrong.close();
    }
  });

  it('reports its own lateness for every operation it started', async () => {
    const pool = new HttpGetPool(url, '/x', 4, { status: 200, bodyBytes: body.length });
    try {
      const result = await openLoop({ ratePerSecond: 200, durationMs: 200, op: () => pool.get() });
      expect(result.operations).toBe(40);
      expect(result.errors).toBe(0);
      expect(result.generator.startLate.count).toBe(40);
      // Never early: each operation starts at or after its due time.
      expect(result.generator.startLate.p50).toBeGreaterThanOrEqual(0);
      expect(result.generator.eventLoopDelayP99).toBeGreaterThan(0);
    } finally {
      pool.close();
    }
  });
});
