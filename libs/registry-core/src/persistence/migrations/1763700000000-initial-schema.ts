import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Policy history and audit tables. Written with TypeORM's schema builder so it runs on SQLite and PostgreSQL. */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = {
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    };
    await queryRunner.createTable(
      new Table({
        name: 'policy_versions',
        columns: [
          id,
          { name: 'namespace', type: 'varchar', length: '63' },
          { name: 'service', type: 'varchar', length: '63' },
          { name: 'version', type: 'integer' },
          { name: 'revision', type: 'bigint' },
          { name: 'action', type: 'varchar', length: '16' },
          { name: 'rollback_of', type: 'integer', isNullable: true },
          { name: 'policy', type: 'text' },
          { name: 'updated_by', type: 'varchar', length: '256' },
          { name: 'updated_at', type: 'varchar', length: '32' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'policy_versions',
      new TableIndex({
        name: 'uq_policy_versions_service_version',
        columnNames: ['namespace', 'service', 'version'],
        isUnique: true,
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          id,
          { name: 'at', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '256' },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'namespace', type: 'varchar', length: '63', isNullable: true },
          { name: 'service', type: 'varchar', length: '63', isNullable: true },
          { name: 'target', type: 'varchar', length: '128', isNullable: true },
          { name: 'detail', type: 'text' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'audit_events',
      new TableIndex({ name: 'ix_audit_events_scope', columnNames: ['namespace', 'service'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_events');
    await queryRunner.dropTable('policy_versions');
  }
}
