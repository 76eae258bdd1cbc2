// Two services on one machine: `payments` registers itself; `orders` discovers it, watches it
// and calls it under its governance policy. Run against a local registry:
//   node -r ./test/support/register-ts.js examples/quickstart.ts http://127.0.0.1:7070
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NoInstanceError, Skyroad } from '../src/index';

async function main(registry: string): Promise<void> {
  // The payments service: a plain HTTP server that registers itself.
  const server = createServer((req, res) =>
    res.end(`charged by ${process.pid} (${req.headers.traceparent})`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const payments = await Skyroad.connect({ registry, handleSignals: true });
  const reg = await payments.register({
    service: 'payments',
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    metadata: { version: 'v1' },
    ttl: 10,
  });

  // The orders service: discovers, watches and calls payments.
  const orders = await Skyroad.connect({ registry, failoverDir: '.data/skyroad-failover' });
  const sub = orders.watch('payments', (instances) =>
    console.log(
      'payments now:',
      instances.map((i) => i.id),
    ),
  );
  console.log('discovered:', (await orders.discover('payments')).length, 'instance(s)');
  try {
    const res = await orders.call('payments', '/charge', { method: 'POST', json: { amount: 42 } });
    console.log(res.status, await res.text());
  } catch (error) {
    if (error instanceof NoInstanceError) console.log('no payments instance yet');
    else throw error;
  }

  sub.close();
  await reg.deregister();
  await orders.close();
  await payments.close();
  server.close();
}

main(process.argv[2] ?? 'http://127.0.0.1:7070').catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
