import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThanOrEqual, type Repository } from 'typeorm';
import { ACCESS_OPTIONS, type ResolvedAccessOptions } from '../access-options';
import { SessionEntity } from '../entities';
import type { Principal } from '../principal';
import { newId, newSessionToken, secretDigest, verifyPassword } from '../secrets';
import { UsersService, userView, type UserView } from '../users/users.service';
import { LoginThrottle } from './login-throttle';

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: UserView;
}

@Injectable()
export class SessionsService {
  private readonly throttle: LoginThrottle;

  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    private readonly users: UsersService,
    @Inject(ACCESS_OPTIONS) private readonly options: ResolvedAccessOptions,
  ) {
    this.throttle = new LoginThrottle(options.clock);
  }

  /** Checks the password and opens a session; 429 after too many failures, 401 otherwise. */
  async login(username: string, password: string, clientAddress: string): Promise<LoginResult> {
    const key = `${username}\n${clientAddress}`;
    const waitMs = this.throttle.retryAfterMs(key);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: `too many failed sign-ins for "${username}"; try again in ${seconds} s`,
          retryAfterSeconds: seconds,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const user = await this.users.findByUsername(username);
    if (!(await verifyPassword(user?.passwordHash, password)) || !user) {
      this.throttle.recordFailure(key);
      throw new UnauthorizedException('invalid username or password');
    }
    this.throttle.reset(key);
    const now = this.options.clock();
    // Expired sessions are swept here rather than by a timer: sign-ins are rare and cheap.
    await this.sessions.delete({ expiresAt: LessThanOrEqual(now) });
    const token = newSessionToken();
    const session = this.sessions.create({
      id: newId(),
      tokenHash: secretDigest(token),
      userId: user.id,
      createdAt: now,
      expiresAt: now + this.options.sessionTtlMs,
    });
    await this.sessions.insert(session);
    return { token, expiresAt: new Date(session.expiresAt).toISOString(), user: userView(user) };
  }

  /** The user behind a session token, or undefined when unknown or expired. */
  async resolve(token: string): Promise<Principal | undefined> {
    const session = await this.sessions.findOneBy({ tokenHash: secretDigest(token) });
    if (!session) return undefined;
    if (session.expiresAt <= this.options.clock()) {
      await this.sessions.delete({ id: session.id });
      return undefined;
    }
    // Read the user every time, so a role change or a deletion applies at once.
    const user = await this.users.findById(session.userId);
    if (!user) return undefined;
    const view = userView(user);
    return {
      kind: 'user',
      name: user.username,
      userId: user.id,
      role: user.role,
      namespaces: view.namespaces,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
    };
  }

  async end(sessionId: string): Promise<void> {
    await this.sessions.delete({ id: sessionId });
  }
}
