import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports this process has already handed out, so two callers never get the same one. */
const handedOut = new Set<number>();
const MAX_PORT_ATTEMPTS = 200;
/** Lowest port handed out: above the well-known and most registered service ports. */
const LOWEST_PORT = 15_000;
/** Linux's default when /proc cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32_768;

/**
 * The first port of the kernel's ephemeral range. Ports are handed out below it: a port the
 * kernel picked (bind to 0) can be taken a moment later as the local port of some outgoing
 * connection, before the server under test binds it (seen as EADDRINUSE in chaos runs).
 */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(low) && low > LOWEST_PORT + 1_000 ? low : DEFAULT_EPHEMERAL_LOW;
  } catch {
    return DEFAULT_EPHEMERAL_LOW;
  }
}

const highestPort = ephemeralLow() - 1;

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, outside the kernel's ephemeral
 * range. The port is not held, so start the server soon.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (highestPort - LOWEST_PORT + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(
    `freePort: no free loopback port in ${LOWEST_PORT}-${highestPort} after ${MAX_PORT_ATTEMPTS} attempts`,
  );
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
