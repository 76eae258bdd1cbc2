import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ACCESS_OPTIONS, type ResolvedAccessOptions } from '../access-options';
import { ApiTokenEntity } from '../entities';
import type { Principal } from '../principal';
import { ALL_NAMESPACES, type TokenRole } from '../roles';
import { newApiToken, newId, secretDigest } from '../secrets';

export interface TokenView {
  id: string;
  name: string;
  namespace: string;
  role: TokenRole;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

export function tokenView(token: ApiTokenEntity): TokenView {
  return {
    id: token.id,
    name: token.name,
    namespace: token.namespace,
    role: token.role,
    createdBy: token.createdBy,
    createdAt: new Date(token.createdAt).toISOString(),
    expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
  };
}

export interface NewToken {
  name: string;
  namespace: string;
  role: TokenRole;
  expiresInSeconds?: number;
}

@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(ApiTokenEntity) private readonly tokens: Repository<ApiTokenEntity>,
    @Inject(ACCESS_OPTIONS) private readonly options: ResolvedAccessOptions,
  ) {}

  /** Creates a token; the secret is in the answer and nowhere else. */
  async create(input: NewToken, createdBy: string): Promise<TokenView & { token: string }> {
    if (await this.tokens.findOneBy({ name: input.name })) {
      throw new ConflictException(`token "${input.name}" already exists`);
    }
    const secret = newApiToken();
    const now = this.options.clock();
    const entity = this.tokens.create({
      id: newId(),
      name: input.name,
      tokenHash: secretDigest(secret),
      namespace: input.namespace,
      role: input.role,
      createdBy,
      createdAt: now,
      expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
    });
    await this.tokens.insert(entity);
    return { ...tokenView(entity), token: secret };
  }

  list(): Promise<ApiTokenEntity[]> {
    return this.tokens.find({ order: { name: 'ASC' } });
  }

  async revoke(id: string): Promise<void> {
    const result = await this.tokens.delete({ id });
    if (!result.affected) throw new NotFoundException(`token "${id}" not found`);
  }

  async resolve(secret: string): Promise<Principal | undefined> {
    const token = await this.tokens.findOneBy({ tokenHash: secretDigest(secret) });
    if (!token) return undefined;
    if (token.expiresAt !== null && token.expiresAt <= this.options.clock()) return undefined;
    return {
      kind: 'token',
      name: `token:${token.name}`,
      tokenId: token.id,
      role: token.role,
      namespaces: [token.namespace === ALL_NAMESPACES ? ALL_NAMESPACES : token.namespace],
    };
  }
}
