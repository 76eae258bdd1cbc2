import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { UserRole } from '../roles';
import { epochMillis, namespaceList } from './columns';

@Entity({ name: 'access_users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  /** argon2id PHC string; never the password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: UserRole;

  /** Namespaces an editor may change (`*` for all); ignored for admins and viewers. */
  @Column({ type: 'text', transformer: namespaceList })
  namespaces!: string[];

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMillis })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMillis })
  updatedAt!: number;
}
