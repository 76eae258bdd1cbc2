import type { DataSource, Repository } from 'typeorm';
import { AuditEventEntity } from './entities';
import { GroupCommit } from './group-commit';

export interface AuditEntry {
  actor: string;
  action: string;
  namespace?: string;
  service?: string;
  target?: string;
  detail?: unknown;
}

export interface AuditRecord extends Required<
  Omit<AuditEntry, 'detail' | 'namespace' | 'service' | 'target'>
> {
  id: number;
  at: string;
  namespace: string | null;
  service: string | null;
  target: string | null;
  detail: unknown;
}

/** Rows one audit commit writes at most (a multi-row INSERT: 7 parameters a row). */
export const AUDIT_MAX_BATCH_ROWS = 200;

type AuditRow = Omit<AuditEventEntity, 'id'>;

/**
 * The audit table: one row per write through the API (heartbeats excepted: they change nothing).
 * Rows are group-committed: record() resolves once its row is in the database, and rows
 * recorded at the same time share one multi-row INSERT (one transaction) instead of one commit
 * each. close() waits for every row recorded before it.
 */
export class AuditLog {
  private readonly repository: Repository<AuditEventEntity>;
  private readonly rows: GroupCommit<AuditRow>;

  constructor(
    dataSource: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repository = dataSource.getRepository(AuditEventEntity);
    this.rows = new GroupCommit((batch) => this.insert(batch), AUDIT_MAX_BATCH_ROWS);
  }

  record(entry: AuditEntry): Promise<void> {
    return this.rows.add({
      at: this.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      namespace: entry.namespace ?? null,
      service: entry.service ?? null,
      target: entry.target ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  /** Waits until every row recorded so far is written (or failed); for graceful shutdown. */
  close(): Promise<void> {
    return this.rows.drain();
  }

  private async insert(batch: AuditRow[]): Promise<void> {
    // No RETURNING round trip for the generated ids: nothing here reads them back.
    await this.repository.createQueryBuilder().insert().values(batch).updateEntity(false).execute();
  }

  /** Newest first. */
  async list(filter: { namespace?: string; service?: string; limit: number }): Promise<AuditRecord[]> {
    const rows = await this.repository.find({
      where: {
        ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}),
        ...(filter.service !== undefined ? { service: filter.service } : {}),
      },
      order: { id: 'DESC' },
      take: filter.limit,
    });
    return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as unknown }));
  }
}
