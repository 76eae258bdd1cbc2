import { createServer } from 'node:net';

/** Ports this process has already handed out, so two callers never get the same one. */
const handedOut = new Set<number>();
const MAX_PORT_ATTEMPTS = 50;

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now. The kernel picks it (bind to 0),
 * so it comes from the ephemeral range; the port is not held, so start the server soon.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const port = await bindEphemeral();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no unused loopback port after ${MAX_PORT_ATTEMPTS} attempts`);
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: listener has no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
