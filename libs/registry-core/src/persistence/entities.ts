import { Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

// Revisions are 64-bit in the store; PostgreSQL hands bigint back as a string.
const bigintAsNumber: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** One version of a service's policy: every PUT and every rollback adds one. */
@Entity({ name: 'policy_versions' })
@Index('uq_policy_versions_service_version', ['namespace', 'service', 'version'], { unique: true })
export class PolicyVersionEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 63 })
  namespace!: string;

  @Column({ type: 'varchar', length: 63 })
  service!: string;

  /** 1, 2, 3... per service. */
  @Column({ type: 'integer' })
  version!: number;

  /** The store mod revision of the policy key this version produced. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  revision!: number;

  @Column({ type: 'varchar', length: 16 })
  action!: 'put' | 'rollback';

  @Column({ name: 'rollback_of', type: 'integer', nullable: true })
  rollbackOf!: number | null;

  /** The policy document as JSON. */
  @Column({ type: 'text' })
  policy!: string;

  @Column({ name: 'updated_by', type: 'varchar', length: 256 })
  updatedBy!: string;

  /** ISO-8601; text so that SQLite and PostgreSQL agree on it. */
  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}

/** Who wrote what, when: one row per write through the registry's API. */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_scope', ['namespace', 'service'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 32 })
  at!: string;

  @Column({ type: 'varchar', length: 256 })
  actor!: string;

  /** e.g. instance.register, instance.patch, policy.put, namespace.create. */
  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 63, nullable: true })
  namespace!: string | null;

  @Column({ type: 'varchar', length: 63, nullable: true })
  service!: string | null;

  /** The instance id or policy version the write was about. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  target!: string | null;

  /** What changed, as JSON. */
  @Column({ type: 'text' })
  detail!: string;
}

export const REGISTRY_ENTITIES = [PolicyVersionEntity, AuditEventEntity];
