import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { withAccessSchema } from '@skyroad/access';
import {
  AuditLog,
  PolicyHistory,
  dataSourceOptions,
  prepareDatabase,
  type RegistryConfig,
} from '@skyroad/registry-core';
import { DataSource } from 'typeorm';
import { REGISTRY_CONFIG } from '../tokens';

/**
 * Writes the audit rows still queued before TypeORM closes its connection (HTTP has drained by
 * then, so no request adds more).
 */
@Injectable()
export class AuditLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.audit.close();
  }
}

/** History, audit and access (TypeORM on SQLite or PostgreSQL); migrations run at start. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [REGISTRY_CONFIG],
      useFactory: async (config: RegistryConfig) => {
        await prepareDatabase(config.databaseUrl);
        return withAccessSchema(dataSourceOptions(config.databaseUrl));
      },
    }),
  ],
  providers: [
    {
      provide: AuditLog,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new AuditLog(dataSource),
    },
    {
      provide: PolicyHistory,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new PolicyHistory(dataSource),
    },
    AuditLifecycle,
  ],
  exports: [AuditLog, PolicyHistory],
})
export class DatabaseModule {}
