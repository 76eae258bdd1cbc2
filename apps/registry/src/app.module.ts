import { Module, type DynamicModule } from '@nestjs/common';
import type { RegistryConfig } from '@skyroad/registry-core';
import { AccessModule, isLoopbackHost } from '@skyroad/access';
import { LoggerModule } from 'nestjs-pino';
import { accessLogLevel } from './common/routine-requests';
import { AuditModule } from './audit/audit.module';
import { requestId } from './common/request-id';
import { ClusterModule } from './cluster/cluster.module';
import { CoreModule } from './core/core.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { InstancesModule } from './instances/instances.module';
import { MetricsModule } from './metrics/metrics.module';
import { NamespacesModule } from './namespaces/namespaces.module';
import { PolicyModule } from './policy/policy.module';
import { ServicesModule } from './services/services.module';
import { WatchModule } from './watch/watch.module';

export interface AppOptions {
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  logLevel: string;
  /**
   * Whether discovery GETs and heartbeats go through OpenTelemetry's HTTP instrumentation:
   * true when traces are exported (main.ts asks the telemetry), so that each gets its span;
   * otherwise they are dispatched around it (see dispatchRoutineRequestsUntraced).
   */
  traceRoutineRequests: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: RegistryConfig, options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.logLevel,
            genReqId: (req, res) => {
              const id = requestId(req);
              res.setHeader('X-Request-Id', id);
              return id;
            },
            // Health probes and scrapes would drown the log.
            autoLogging: { ignore: (req) => ['/health', '/ready', '/metrics'].includes(req.url ?? '') },
            // Successful discovery GETs and heartbeats at debug (see routine-requests.ts).
            customLogLevel: accessLogLevel,
            redact: ['req.headers.authorization'],
          },
        }),
        MetricsModule,
        DatabaseModule,
        // Users, sessions, API tokens and the guard on every route. Anonymous callers are let in
        // only on a loopback-only listener (development) or when explicitly allowed.
        AccessModule.forRoot({
          anonymousAllowed: isLoopbackHost(config.host) || config.insecureAllowAnonymous,
        }),
        CoreModule.forRoot(config),
        NamespacesModule,
        ServicesModule,
        InstancesModule,
        PolicyModule,
        WatchModule,
        AuditModule,
        HealthModule,
        ClusterModule,
      ],
    };
  }
}
