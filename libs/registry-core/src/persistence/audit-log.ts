import type { DataSource, Repository } from 'typeorm';
import { AuditEventEntity } from './entities';

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

/** The audit table: one row per write through the API (heartbeats excepted: they change nothing). */
export class AuditLog {
  private readonly repository: Repository<AuditEventEntity>;

  constructor(
    dataSource: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repository = dataSource.getRepository(AuditEventEntity);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.repository.insert({
      at: this.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      namespace: entry.namespace ?? null,
      service: entry.service ?? null,
      target: entry.target ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    });
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
