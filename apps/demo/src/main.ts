import { telemetry } from './tracing';
import { pino } from 'pino';
import { Skyroad } from '@skyroad/sdk';
import { serve, type Handler } from './http';
import { parseDemoOptions, USAGE, type DemoOptions } from './options';
import { paymentsHandler } from './roles/payments';
import { ordersHandler } from './roles/orders';
import { Gateway } from './roles/gateway';

const INSTANCE_TTL_SECONDS = 10;

async function main(options: DemoOptions): Promise<void> {
  const logger = pino({ name: options.role });
  const sky = await Skyroad.connect({
    registry: options.registry,
    namespace: options.namespace,
    token: options.token,
  });
  let gateway: Gateway | undefined;
  let handler: Handler;
  if (options.role === 'payments') handler = paymentsHandler(options);
  else if (options.role === 'orders') handler = ordersHandler(sky);
  else {
    gateway = new Gateway(sky);
    handler = gateway.handler;
  }
  const health: Handler = async (_request, url) =>
    url.pathname === '/health' ? { json: { status: 'ok' } } : undefined;
  const server = await serve(
    options.host,
    options.port,
    async (request, url) => (await health(request, url)) ?? handler(request, url),
  );
  const registration = await sky.register({
    service: options.role,
    host: options.advertiseHost,
    port: options.port,
    metadata: { version: options.version },
    ttl: INSTANCE_TTL_SECONDS,
  });
  logger.info(
    { port: options.port, id: registration.id },
    `${options.role} ${options.version} registered and listening`,
  );

  let traffic: NodeJS.Timeout | undefined;
  if (gateway && options.trafficIntervalMs > 0) {
    // Traffic enters through the gateway's own HTTP route, so each order is one trace from the top.
    traffic = setInterval(() => {
      fetch(`http://${options.host}:${options.port}/api/order`).then(
        (response) => response.arrayBuffer(),
        () => gateway?.record(undefined),
      );
    }, options.trafficIntervalMs);
  }

  const shutdown = async (signal: string) => {
    logger.info(`${signal}: deregistering and stopping`);
    if (traffic) clearInterval(traffic);
    await registration.deregister().catch(() => undefined);
    await sky.close();
    server.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

let options: DemoOptions;
try {
  options = parseDemoOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`skyroad-demo: ${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
main(options).catch((error: Error) => {
  process.stderr.write(`skyroad-demo: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
