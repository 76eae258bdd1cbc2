import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AccessGuard } from '@skyroad/access';
import {
  InstanceRegistry,
  MAX_BODY_BYTES,
  SHUTDOWN_DRAIN_MS,
  type RegistryConfig,
} from '@skyroad/registry-core';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule, type AppOptions } from './app.module';
import { RegistryExceptionFilter, toErrorBody } from './common/registry-exception.filter';
import { dispatchRoutineRequestsUntraced } from './common/untraced-routine-requests';
import { discoveryFastPath } from './instances/discovery-fast-path';
import { heartbeatFastPath } from './instances/heartbeat-fast-path';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { WatchStreams } from './watch/watch-streams.service';

const DRAIN_POLL_MS = 20;

export interface RunningRegistry {
  app: NestExpressApplication;
  /** http://host:port, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the registry application: JSON bodies of any content type up to MAX_BODY_BYTES
 * (malformed or oversized bodies are answered 400 / 413 before any route runs), one
 * exception filter, pino logs with request ids, Prometheus metrics, OpenAPI at /openapi.json
 * and /docs.
 */
/** Requests being answered (watch streams excluded: shutdown ends those itself). */
class InFlightRequests {
  count = 0;
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (req.path.endsWith('/watch')) {
      next();
      return;
    }
    this.track(res);
    next();
  };

  /** Counts `res` until it is finished or its connection closed. */
  track(res: ServerResponse): void {
    this.count++;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        this.count--;
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
  }
}

const inFlightOf = new WeakMap<object, InFlightRequests>();

export async function createRegistryApp(
  config: RegistryConfig,
  options: Partial<AppOptions> = {},
): Promise<NestExpressApplication> {
  const appOptions: AppOptions = {
    logLevel: options.logLevel ?? 'info',
    traceRoutineRequests: options.traceRoutineRequests ?? false,
  };
  const inFlight = new InFlightRequests();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, appOptions), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(inFlight.middleware);
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  // Every body is parsed as JSON whatever its content type: the API speaks nothing else.
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, type: () => true });
  // Errors of the body parser happen before routing, where Nest's filters do not reach.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const body = toErrorBody(error);
    res.status(body.statusCode).json(body);
  });
  app.useGlobalFilters(new RegistryExceptionFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Skyroad registry')
      .setDescription(
        'Register, heartbeat, discover and watch service instances; governance policies. See docs/registry-api.md.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  inFlightOf.set(app, inFlight);

  // Discovery GETs are answered before Express when they can be (see discoveryFastPath).
  const server = app.getHttpServer() as Server;
  // Heartbeats too (see heartbeatFastPath).
  const fastPathDeps = {
    registry: app.get(InstanceRegistry),
    guard: app.get(AccessGuard),
    metrics: app.get(MetricsService),
    track: (res: ServerResponse) => inFlight.track(res),
    logLevel: appOptions.logLevel,
  };
  const fastPaths = (fallback: RequestListener) =>
    discoveryFastPath(fastPathDeps, heartbeatFastPath(fastPathDeps, fallback));
  if (appOptions.traceRoutineRequests) {
    // Inside the tracing instrumentation's emit, so that each gets its span.
    const [full] = server.listeners('request') as RequestListener[];
    server.removeListener('request', full);
    server.on('request', fastPaths(full));
  } else {
    // Around it; the full pipeline stays the server's 'request' listener.
    dispatchRoutineRequestsUntraced(server, fastPaths);
  }
  return app;
}

/**
 * Graceful stop: refuse new connections, end every watch stream, let requests in flight finish
 * (bounded by SHUTDOWN_DRAIN_MS), drop the connections left, then close the store and database.
 */
export async function stopRegistryApp(app: NestExpressApplication): Promise<void> {
  const server = app.getHttpServer() as Server;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  app.get(WatchStreams).endAll();
  const inFlight = inFlightOf.get(app);
  const deadline = Date.now() + SHUTDOWN_DRAIN_MS;
  while (inFlight && inFlight.count > 0 && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
  server.closeAllConnections();
  await closed;
  await app.close();
}

/** Creates the registry and listens on config.host:config.port. */
export async function startRegistry(
  config: RegistryConfig,
  options: Partial<AppOptions> = {},
): Promise<RunningRegistry> {
  const app = await createRegistryApp(config, options);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { app, url: `http://${host}:${address.port}`, close: () => stopRegistryApp(app) };
}
