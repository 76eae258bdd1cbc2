/*
 * skyroad-store: one member of a Raft key-value store cluster that speaks the etcd v3 API.
 * This file only reads flags, starts the member and handles process signals (or runs the
 * `snapshot` subcommand); the member itself lives in @skyroad/store-server.
 */
import {
  FlagError,
  StoreServer,
  createLogger,
  parseFlags,
  runSnapshotCommand,
  tuneHeapGrowth,
  usage,
} from '@skyroad/store-server';

/** Exit status for a bad command line, distinct from a failure at run time. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'snapshot') {
    const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);
    process.exitCode = await runSnapshotCommand(argv.slice(1), write(process.stdout), write(process.stderr));
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  let config;
  try {
    config = parseFlags(argv, process.env);
  } catch (error) {
    if (error instanceof FlagError) {
      process.stderr.write(`skyroad-store: ${error.message}\n${usage()}`);
      process.exit(EXIT_USAGE);
    }
    throw error;
  }
  const logger = createLogger(config.name, config.logLevel);
  const heapGrowingPercent = tuneHeapGrowth();
  logger.debug(
    { heapGrowingPercent: heapGrowingPercent ?? 'set on the node command line' },
    'V8 old generation growing factor',
  );
  const exit = (code: number) => {
    logger.flush();
    process.exit(code);
  };
  let server: StoreServer;
  try {
    server = await StoreServer.start(config, logger, exit);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    if (error instanceof FlagError) process.stderr.write(`skyroad-store: ${error.message}\n`);
    exit(EXIT_FAILURE);
    return;
  }
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        exit(EXIT_FAILURE);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`skyroad-store: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(EXIT_FAILURE);
});
