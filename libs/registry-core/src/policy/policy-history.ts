import type { Policy, PolicyVersion } from '@skyroad/governance';
import type { DataSource, Repository } from 'typeorm';
import { PolicyVersionEntity } from '../persistence/entities';

export type { PolicyVersion };

const toVersion = (row: PolicyVersionEntity): PolicyVersion => ({
  version: row.version,
  revision: row.revision,
  policy: JSON.parse(row.policy) as Policy,
  updatedBy: row.updatedBy,
  updatedAt: row.updatedAt,
  action: row.action,
  ...(row.rollbackOf !== null ? { rollbackOf: row.rollbackOf } : {}),
});

const MAX_VERSION_NUMBER_ATTEMPTS = 5;

/** Every version a service's policy has had, numbered 1, 2, 3... */
export class PolicyHistory {
  private readonly repository: Repository<PolicyVersionEntity>;

  constructor(dataSource: DataSource) {
    this.repository = dataSource.getRepository(PolicyVersionEntity);
  }

  async append(
    namespace: string,
    service: string,
    entry: Omit<PolicyVersion, 'version'>,
  ): Promise<PolicyVersion> {
    // Two registry nodes may number a version at once; the unique index makes one retry.
    for (let attempt = 1; ; attempt++) {
      const latest = await this.repository.findOne({
        where: { namespace, service },
        order: { version: 'DESC' },
      });
      const version = (latest?.version ?? 0) + 1;
      try {
        await this.repository.insert({
          namespace,
          service,
          version,
          revision: entry.revision,
          action: entry.action,
          rollbackOf: entry.rollbackOf ?? null,
          policy: JSON.stringify(entry.policy),
          updatedBy: entry.updatedBy,
          updatedAt: entry.updatedAt,
        });
        return { version, ...entry };
      } catch (error) {
        if (attempt >= MAX_VERSION_NUMBER_ATTEMPTS) throw error;
      }
    }
  }

  /** Newest first. */
  async list(namespace: string, service: string): Promise<PolicyVersion[]> {
    const rows = await this.repository.find({ where: { namespace, service }, order: { version: 'DESC' } });
    return rows.map(toVersion);
  }

  async find(namespace: string, service: string, version: number): Promise<PolicyVersion | undefined> {
    const row = await this.repository.findOne({ where: { namespace, service, version } });
    return row ? toVersion(row) : undefined;
  }
}
