import 'reflect-metadata';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Module,
  Param,
  Patch,
  Post,
  Put,
  Req,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresUrl } from '@skyroad/testkit';
import {
  ACCESS_ENTITIES,
  ACCESS_MIGRATIONS,
  AccessModule,
  principalName,
  type AccessOptions,
} from '../../src';

/**
 * Stands in for the registry's routes: each answers who called it, as the registry's audit
 * log will. The access module decides who gets here.
 */
@Controller()
class StandInRegistryController {
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Get('metrics')
  metrics() {
    return 'metrics';
  }

  @Get('v1/namespaces')
  namespaces(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Post('v1/namespaces')
  createNamespace(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Get('v1/namespaces/:ns/services')
  services(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Get('v1/namespaces/:ns/services/:svc/instances')
  instances(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Post('v1/namespaces/:ns/services/:svc/instances')
  register(@Req() req: unknown, @Body() body: unknown) {
    return { by: principalName(req), body };
  }

  @Put('v1/namespaces/:ns/services/:svc/instances/:id/heartbeat')
  heartbeat(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Patch('v1/namespaces/:ns/services/:svc/instances/:id')
  operate(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Delete('v1/namespaces/:ns/services/:svc/instances/:id')
  @HttpCode(204)
  deregister() {}

  @Get('v1/namespaces/:ns/services/:svc/policy')
  policy(@Req() req: unknown) {
    return { by: principalName(req) };
  }

  @Put('v1/namespaces/:ns/services/:svc/policy')
  putPolicy(@Req() req: unknown, @Param('svc') svc: string) {
    return { by: principalName(req), svc };
  }

  @Post('v1/namespaces/:ns/services/:svc/policy/rollback')
  @HttpCode(200)
  rollback(@Req() req: unknown) {
    return { by: principalName(req) };
  }
}

export type Database = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function typeOrmOptions(db: Database): TypeOrmModuleOptions {
  const common = {
    entities: ACCESS_ENTITIES,
    migrations: ACCESS_MIGRATIONS,
    migrationsRun: true,
    logging: false,
  };
  return db.kind === 'sqlite'
    ? { type: 'better-sqlite3', database: db.file, ...common }
    : { type: 'postgres', url: db.url, ...common };
}

export interface StandInApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** A real Nest application on a loopback port: the module, the stand-in routes, a real database. */
export async function startStandInApp(db: Database, options: AccessOptions): Promise<StandInApp> {
  @Module({
    imports: [TypeOrmModule.forRoot(typeOrmOptions(db)), AccessModule.forRoot(options)],
    controllers: [StandInRegistryController],
  })
  class StandInModule {}

  const app = await NestFactory.create(StandInModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** A fresh PostgreSQL database on the shared server, dropped by the returned function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = postgresUrl();
  const name = `access_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function sqliteFile(dir: string): string {
  return join(dir, 'registry.sqlite');
}

/** Response bodies are whatever the server sent; tests read them freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResponseBody = any;

/** A small HTTP client that keeps a bearer token. */
export class Caller {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): Caller {
    return new Caller(this.baseUrl, token);
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: ResponseBody; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async login(username: string, password: string): Promise<string> {
    const response = await this.call('POST', '/v1/auth/login', { username, password });
    if (response.status !== 200)
      throw new Error(`login ${username}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.token as string;
  }
}
