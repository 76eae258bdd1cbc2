// A real process under test: starts telemetry first, then an HTTP server whose handler calls
// a second route of its own through fetch and logs with pino, so a test can see server spans,
// a client span, propagation between them and the trace id in the log line.
import { startTelemetry } from '../../src';

const telemetry = startTelemetry({ serviceName: 'traced-server', serviceVersion: '1.2.3' });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const http = require('node:http') as typeof import('node:http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pino = require('pino') as typeof import('pino');
const logger = pino.pino();

const port = Number(process.argv[2]);
const server = http.createServer(async (request, response) => {
  if (request.url === '/outer') {
    const inner = await fetch(`http://127.0.0.1:${port}/inner`);
    logger.info({ innerStatus: inner.status }, 'outer handled');
    response.end(JSON.stringify({ traceparent: await inner.text() }));
  } else if (request.url === '/manual') {
    // The caller propagates context itself, as the Skyroad SDK does.
    const manual = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const inner = await fetch(`http://127.0.0.1:${port}/inner`, { headers: { traceparent: manual } });
    response.end(await inner.text());
  } else if (request.url === '/inner') {
    response.end(String(request.headers['traceparent'] ?? ''));
  } else {
    response.end('ok');
  }
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void telemetry.shutdown().then(() => process.exit(0));
});
