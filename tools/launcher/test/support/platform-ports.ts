import { createServer } from 'node:net';
import { BASE_PORTS } from '../../src/topology';

const MAX_OFFSET_ATTEMPTS = 20;

/** Every port the platform listens on, before the offset. */
export const PLATFORM_PORTS: readonly number[] = [
  ...BASE_PORTS.primaryClient,
  ...BASE_PORTS.primaryPeer,
  BASE_PORTS.standbyClient,
  BASE_PORTS.standbyPeer,
  BASE_PORTS.registry,
  BASE_PORTS.console,
  BASE_PORTS.demoFirst,
  BASE_PORTS.demoFirst + 1,
  BASE_PORTS.demoFirst + 2,
  BASE_PORTS.demoFirst + 3,
];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A --port-offset at which every port of the platform is free, so a test never meets a platform
 * that is already running (a developer's `npm start`, or another test).
 */
export async function freePortOffset(): Promise<number> {
  for (let attempt = 0; attempt < MAX_OFFSET_ATTEMPTS; attempt++) {
    const offset = 10_000 + Math.floor(Math.random() * 10_000);
    if ((await Promise.all(PLATFORM_PORTS.map((p) => portFree(p + offset)))).every(Boolean)) return offset;
  }
  throw new Error('no port offset with every platform port free');
}
