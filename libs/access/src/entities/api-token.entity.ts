import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { TokenRole } from '../roles';
import { epochMillis } from './columns';

/** An API token for a service or for automation; the secret is shown once and stored hashed. */
@Entity({ name: 'access_api_tokens' })
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  name!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  /** One namespace, or `*` for every namespace. */
  @Column({ type: 'varchar', length: 63 })
  namespace!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: TokenRole;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis })
  createdAt!: number;

  @Column({ name: 'expires_at', type: 'bigint', nullable: true, transformer: epochMillis })
  expiresAt!: number | null;
}
