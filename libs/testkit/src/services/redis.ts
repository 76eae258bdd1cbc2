import { connect } from 'node:net';
import { redisServerBinary } from '../env';
import { freePort } from '../ports';
import type { ManagedProcess } from '../process/managed-process';
import type { ProcessSet } from '../process/process-set';

export interface RedisServer {
  url: string;
  port: number;
  process: ManagedProcess;
}

/**
 * Starts a private redis-server on a free loopback port, keeping nothing on disk. Use it when
 * a test stops, pauses or floods Redis; read-only users can share the machine's Redis.
 */
export async function startRedis(processes: ProcessSet): Promise<RedisServer> {
  const port = await freePort();
  const dir = processes.tempDir('redis-');
  const managed = await processes.spawn({
    name: `redis-${port}`,
    command: redisServerBinary(),
    args: ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    ready: () =>
      redisPing(port).then(
        (reply) => reply === 'PONG',
        () => false,
      ),
  });
  return { url: `redis://127.0.0.1:${port}`, port, process: managed };
}

const REDIS_PING_TIMEOUT_MS = 2_000;

/** Sends PING over RESP and resolves with the reply's text (`PONG` when healthy). */
export function redisPing(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(REDIS_PING_TIMEOUT_MS, () => {
      socket.destroy();
      reject(new Error(`redis ${host}:${port}: no answer to PING`));
    });
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        const line = reply.slice(0, end);
        if (line.startsWith('-')) reject(new Error(`redis ${host}:${port}: ${line.slice(1)}`));
        else resolve(line.replace(/^\+/, ''));
      }
    });
    socket.once('error', reject);
  });
}
