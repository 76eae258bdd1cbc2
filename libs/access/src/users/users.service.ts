import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import {
  ACCESS_OPTIONS,
  FIRST_ADMIN_USERNAME,
  ADMIN_PASSWORD_ENV,
  type ResolvedAccessOptions,
} from '../access-options';
import { SessionEntity, UserEntity } from '../entities';
import { ALL_NAMESPACES, type UserRole } from '../roles';
import { generatePassword, hashPassword, newId, verifyPassword } from '../secrets';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  role: UserRole;
  namespaces: string[];
  createdAt: string;
  updatedAt: string;
}

export function userView(user: UserEntity): UserView {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    namespaces: user.role === 'editor' ? user.namespaces : [ALL_NAMESPACES],
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

export interface NewUser {
  username: string;
  password: string;
  role: UserRole;
  namespaces?: string[];
}

export interface UserChange {
  password?: string;
  role?: UserRole;
  namespaces?: string[];
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @Inject(ACCESS_OPTIONS) private readonly options: ResolvedAccessOptions,
  ) {}

  /** First start: when there is no user at all, create `admin`. */
  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const configured = this.options.adminPassword;
    const password = configured ?? generatePassword();
    try {
      await this.create({ username: FIRST_ADMIN_USERNAME, password, role: 'admin' });
    } catch (error) {
      // Another registry node sharing the database created it first.
      if (error instanceof ConflictException) return;
      throw error;
    }
    if (configured === undefined) {
      this.options.announce(
        `skyroad: created the first administrator "${FIRST_ADMIN_USERNAME}" with password ${password} ` +
          `(shown only this once; set ${ADMIN_PASSWORD_ENV} to choose it)`,
      );
    }
  }

  list(): Promise<UserEntity[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ username });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  async get(username: string): Promise<UserEntity> {
    const user = await this.findByUsername(username);
    if (!user) throw new NotFoundException(`user "${username}" not found`);
    return user;
  }

  async create(input: NewUser): Promise<UserEntity> {
    const now = this.options.clock();
    const user = this.users.create({
      id: newId(),
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      namespaces: input.role === 'editor' ? (input.namespaces ?? []) : [],
      createdAt: now,
      updatedAt: now,
    });
    if (await this.findByUsername(input.username)) {
      throw new ConflictException(`user "${input.username}" already exists`);
    }
    try {
      await this.users.insert(user);
    } catch (error) {
      if (await this.findByUsername(input.username)) {
        throw new ConflictException(`user "${input.username}" already exists`);
      }
      throw error;
    }
    return user;
  }

  async update(username: string, change: UserChange): Promise<UserEntity> {
    const user = await this.get(username);
    if (change.role !== undefined && change.role !== 'admin' && user.role === 'admin') {
      await this.refuseIfLastAdmin(user, 'demote');
    }
    if (change.role !== undefined) user.role = change.role;
    if (change.namespaces !== undefined) user.namespaces = change.namespaces;
    if (user.role !== 'editor') user.namespaces = [];
    if (change.password !== undefined) user.passwordHash = await hashPassword(change.password);
    user.updatedAt = this.options.clock();
    await this.users.save(user);
    // A new password ends every session opened with the old one.
    if (change.password !== undefined) await this.sessions.delete({ userId: user.id });
    return user;
  }

  /** A signed-in user's own password change: other sessions end, this one stays. */
  async changeOwnPassword(
    userId: string,
    current: string,
    next: string,
    keepSessionId: string,
  ): Promise<void> {
    const user = await this.findById(userId);
    if (!user) throw new NotFoundException('user not found');
    if (!(await verifyPassword(user.passwordHash, current))) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: 'currentPassword: is not the current password',
        reasons: ['currentPassword: is not the current password'],
      });
    }
    user.passwordHash = await hashPassword(next);
    user.updatedAt = this.options.clock();
    await this.users.save(user);
    await this.sessions.delete({ userId: user.id, id: Not(keepSessionId) });
  }

  async remove(username: string): Promise<void> {
    const user = await this.get(username);
    if (user.role === 'admin') await this.refuseIfLastAdmin(user, 'delete');
    await this.sessions.delete({ userId: user.id });
    await this.users.delete({ id: user.id });
  }

  private async refuseIfLastAdmin(user: UserEntity, what: 'delete' | 'demote'): Promise<void> {
    const admins = await this.users.countBy({ role: 'admin' });
    if (admins <= 1) {
      throw new ConflictException(`cannot ${what} "${user.username}": it is the last administrator`);
    }
  }
}
