import { randomBytes } from 'node:crypto';
import { Errors } from '../grpc/errors';
import type { Caller } from '../grpc/store-api';
import type { Permission } from '../wire/types';
import { covered, toRange } from './key-ranges';
import { checkPassword } from './passwords';

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';
/** etcd's simple token TTL, extended on every use. */
export const SIMPLE_TOKEN_TTL_MS = 5 * 60 * 1000;
const TOKEN_RANDOM_BYTES = 12;

interface UserRecord {
  password: string;
  roles: string[];
  noPassword: boolean;
}

interface PermRecord {
  permType: Permission['permType'];
  key: string;
  rangeEnd: string;
}

export interface AuthState {
  enabled: boolean;
  revision: number;
  users: Record<string, UserRecord>;
  roles: Record<string, PermRecord[]>;
}

type Req = Record<string, unknown>;
const str = (v: unknown): string =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '';
const buf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(str(v), 'utf8'));

/**
 * Users, roles, range permissions and simple tokens, after etcd's auth store. Changes
 * arrive as applied Raft entries (deterministic on every member); tokens are minted by the
 * member that checked the password and registered everywhere through the same log.
 */
export class AuthStore {
  private state: AuthState = { enabled: false, revision: 1, users: {}, roles: {} };
  private readonly tokens = new Map<string, { user: string; revision: number; expiresAt: number }>();

  restore(state: AuthState): void {
    this.state = structuredClone(state);
  }

  snapshot(): AuthState {
    return structuredClone(this.state);
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  get revision(): number {
    return this.state.revision;
  }

  /** Before proposing Authenticate: the password check, and the token to register. */
  prepareAuthenticate(name: string, password: string): string {
    if (!this.state.enabled) throw Errors.authNotEnabled();
    const user = this.state.users[name];
    if (!user || user.noPassword || !checkPassword(password, user.password)) throw Errors.authFailed();
    return `${randomBytes(TOKEN_RANDOM_BYTES).toString('base64url')}.${this.state.revision}`;
  }

  checkToken(token: string, nowMs = Date.now()): Caller | undefined {
    const entry = this.tokens.get(token);
    if (!entry || entry.expiresAt < nowMs || !this.state.users[entry.user]) {
      this.tokens.delete(token);
      return undefined;
    }
    entry.expiresAt = nowMs + SIMPLE_TOKEN_TTL_MS;
    return { user: entry.user, authRevision: entry.revision };
  }

  isAdmin(caller: Caller): boolean {
    if (!this.state.enabled) return true;
    return !!caller.user && (this.state.users[caller.user]?.roles.includes(ROOT_ROLE) ?? false);
  }

  checkPermission(caller: Caller, write: boolean, key: Buffer, rangeEnd: Buffer): void {
    if (!this.state.enabled) return;
    if (!caller.user) throw Errors.userEmpty();
    const user = this.state.users[caller.user];
    if (!user) throw Errors.permissionDenied();
    if (user.roles.includes(ROOT_ROLE)) return;
    const granted = user.roles
      .flatMap((role) => this.state.roles[role] ?? [])
      .filter((p) => p.permType === 'READWRITE' || p.permType === (write ? 'WRITE' : 'READ'))
      .map((p) => toRange(Buffer.from(p.key, 'base64'), Buffer.from(p.rangeEnd, 'base64')));
    if (!covered(toRange(key, rangeEnd), granted)) throw Errors.permissionDenied();
  }

  /** Applies one auth request from the log; answers its response fields. */
  apply(method: string, req: Req): Req {
    const s = this.state;
    const bump = () => {
      s.revision++;
    };
    switch (method) {
      case 'AuthEnable': {
        if (s.enabled) return {};
        const root = s.users[ROOT_USER];
        if (!root) throw Errors.rootUserNotExist();
        if (!root.roles.includes(ROOT_ROLE)) throw Errors.rootRoleNotExist();
        s.enabled = true;
        bump();
        return {};
      }
      case 'AuthDisable':
        if (s.enabled) {
          s.enabled = false;
          this.tokens.clear();
          bump();
        }
        return {};
      case 'AuthStatus':
        return { enabled: s.enabled, authRevision: s.revision };
      case 'Authenticate': {
        const name = str(req.name);
        if (!s.users[name]) throw Errors.authFailed();
        const token = str(req.token);
        this.tokens.set(token, {
          user: name,
          revision: s.revision,
          expiresAt: Date.now() + SIMPLE_TOKEN_TTL_MS,
        });
        return { token };
      }
      case 'UserAdd': {
        const name = str(req.name);
        if (!name) throw Errors.userEmpty();
        if (s.users[name]) throw Errors.userAlreadyExist();
        const noPassword = !!(req.options as Req | undefined)?.no_password;
        s.users[name] = { password: noPassword ? '' : str(req.hashedPassword), roles: [], noPassword };
        bump();
        return {};
      }
      case 'UserGet': {
        const user = s.users[str(req.name)];
        if (!user) throw Errors.userNotFound();
        return { roles: [...user.roles].sort() };
      }
      case 'UserList':
        return { users: Object.keys(s.users).sort() };
      case 'UserDelete': {
        const name = str(req.name);
        if (!s.users[name]) throw Errors.userNotFound();
        if (s.enabled && name === ROOT_USER) throw Errors.invalidAuthMgmt();
        delete s.users[name];
        for (const [token, entry] of this.tokens) if (entry.user === name) this.tokens.delete(token);
        bump();
        return {};
      }
      case 'UserChangePassword': {
        const user = s.users[str(req.name)];
        if (!user) throw Errors.userNotFound();
        user.password = str(req.hashedPassword);
        user.noPassword = false;
        bump();
        return {};
      }
      case 'UserGrantRole': {
        const user = s.users[str(req.user)];
        const role = str(req.role);
        if (!user) throw Errors.userNotFound();
        if (role !== ROOT_ROLE && !s.roles[role]) throw Errors.roleNotFound();
        if (!user.roles.includes(role)) user.roles.push(role);
        bump();
        return {};
      }
      case 'UserRevokeRole': {
        const name = str(req.name);
        const user = s.users[name];
        const role = str(req.role);
        if (!user) throw Errors.userNotFound();
        if (!user.roles.includes(role)) throw Errors.roleNotGranted();
        if (s.enabled && name === ROOT_USER && role === ROOT_ROLE) throw Errors.invalidAuthMgmt();
        user.roles = user.roles.filter((r) => r !== role);
        bump();
        return {};
      }
      case 'RoleAdd': {
        const name = str(req.name);
        if (!name) throw Errors.roleEmpty();
        if (s.roles[name]) throw Errors.roleAlreadyExist();
        s.roles[name] = [];
        bump();
        return {};
      }
      case 'RoleGet': {
        const role = str(req.role);
        if (role === ROOT_ROLE && !s.roles[role]) throw Errors.roleNotFound();
        const perms = s.roles[role];
        if (!perms) throw Errors.roleNotFound();
        return {
          perm: perms.map((p) => ({
            permType: p.permType,
            key: Buffer.from(p.key, 'base64'),
            range_end: Buffer.from(p.rangeEnd, 'base64'),
          })),
        };
      }
      case 'RoleList':
        return { roles: Object.keys(s.roles).sort() };
      case 'RoleDelete': {
        const role = str(req.role);
        if (!s.roles[role]) throw Errors.roleNotFound();
        if (s.enabled && role === ROOT_ROLE) throw Errors.invalidAuthMgmt();
        delete s.roles[role];
        for (const user of Object.values(s.users)) user.roles = user.roles.filter((r) => r !== role);
        bump();
        return {};
      }
      case 'RoleGrantPermission': {
        const perms = s.roles[str(req.name)];
        if (!perms) throw Errors.roleNotFound();
        const perm = req.perm as {
          permType: Permission['permType'];
          key: unknown;
          range_end: unknown;
        } | null;
        if (!perm) throw Errors.permissionNotGiven();
        const key = buf(perm.key).toString('base64');
        const rangeEnd = buf(perm.range_end).toString('base64');
        const existing = perms.find((p) => p.key === key && p.rangeEnd === rangeEnd);
        if (existing) existing.permType = perm.permType;
        else perms.push({ permType: perm.permType, key, rangeEnd });
        perms.sort((a, b) => Buffer.compare(Buffer.from(a.key, 'base64'), Buffer.from(b.key, 'base64')));
        bump();
        return {};
      }
      case 'RoleRevokePermission': {
        const perms = s.roles[str(req.role)];
        if (!perms) throw Errors.roleNotFound();
        const key = buf(req.key).toString('base64');
        const rangeEnd = buf(req.range_end).toString('base64');
        const at = perms.findIndex((p) => p.key === key && p.rangeEnd === rangeEnd);
        if (at < 0) throw Errors.permissionNotGranted();
        perms.splice(at, 1);
        bump();
        return {};
      }
      default:
        throw new Error(`unknown auth method ${method}`);
    }
  }
}
