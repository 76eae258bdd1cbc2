import { Global, Module } from '@nestjs/common';
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
  ],
  exports: [AuditLog, PolicyHistory],
})
export class DatabaseModule {}
