import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, freePorts } from '../src';

describe('freePort', () => {
  it('hands out distinct ports that a server can bind on 127.0.0.1', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    // Below the kernel's ephemeral range, where outgoing connections take their local ports.
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    for (const port of ports) {
      expect(port).toBeGreaterThan(1023);
      expect(port).toBeLessThan(ephemeralLow);
    }
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
