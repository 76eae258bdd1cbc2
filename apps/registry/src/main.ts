import { telemetry } from './tracing';
import { SHUTDOWN_GRACE_MS, USAGE, parseRegistryConfig } from '@skyroad/registry-core';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

async function main(): Promise<void> {
  const parsed = parseRegistryConfig(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.kind === 'error') {
    for (const error of parsed.errors) process.stderr.write(`skyroad-registry: ${error}\n`);
    process.stderr.write('Run skyroad-registry --help for the flags.\n');
    process.exit(EXIT_USAGE);
  }
  const config = parsed.config;
  let registry;
  try {
    // Loaded only now, so that --help and flag errors answer without loading NestJS.
    const { startRegistry } = await import('./registry-app');
    registry = await startRegistry(config, {
      logLevel: process.env['SKYROAD_LOG_LEVEL'] ?? 'info',
      traceRoutineRequests: telemetry.tracesExported,
    });
  } catch (error) {
    process.stderr.write(`skyroad-registry: cannot start: ${(error as Error).message}\n`);
    process.exit(EXIT_FAILURE);
  }
  const running = registry;
  process.stdout.write(
    `${JSON.stringify({ level: 30, time: Date.now(), msg: 'skyroad-registry listening', url: running.url, store: config.storeEndpoints })}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // A stuck dependency must not keep the process alive for ever.
    setTimeout(() => process.exit(EXIT_FAILURE), SHUTDOWN_GRACE_MS).unref();
    running
      .close()
      // Spans still buffered are flushed before the process goes.
      .then(() => telemetry.shutdown())
      .then(() => {
        process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'stopped', signal })}\n`);
        process.exit(0);
      })
      .catch((error: Error) => {
        process.stderr.write(`skyroad-registry: error while stopping: ${error.message}\n`);
        process.exit(EXIT_FAILURE);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
