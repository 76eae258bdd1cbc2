import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath, freePort, httpOk, startEtcdCluster, type ProcessSet } from '@skyroad/testkit';

const WORKSPACE = resolve(__dirname, '../../../..');
const CONSOLE_DIR = resolve(__dirname, '../..');
/** The registry launcher; SKYROAD_TEST_REGISTRY_BIN runs another build of it. */
const REGISTRY_BIN =
  process.env['SKYROAD_TEST_REGISTRY_BIN'] ?? join(WORKSPACE, 'apps/registry/bin/skyroad-registry.js');
const REGISTRY_MAIN = join(WORKSPACE, 'apps/registry/dist/main.js');
const NEXT_BIN = join(WORKSPACE, 'node_modules/next/dist/bin/next');
/** Where the screenshots go: outside the repository, printed for a person to look at. */
export const SCREENSHOT_DIR = join(tmpdir(), 'skyroad-console-screenshots');

export interface Platform {
  registryUrl: string;
  consoleUrl: string;
}

export interface PlatformOptions {
  /** SKYROAD_ADMIN_PASSWORD for the registry (used once the registry mounts libs/access). */
  adminPassword?: string;
}

/**
 * A real etcd, the real registry process on it (SQLite in a temp dir) and the built console
 * (`next start`), all on free loopback ports, owned by `processes`.
 */
export async function startPlatform(processes: ProcessSet, options: PlatformOptions = {}): Promise<Platform> {
  if (!existsSync(REGISTRY_MAIN))
    throw new Error(`build the registry first: npx nx build registry (${REGISTRY_MAIN} missing)`);
  if (!existsSync(join(CONSOLE_DIR, '.next/BUILD_ID')))
    throw new Error('build the console first: npx nx build console');
  const etcd = await startEtcdCluster(processes, { size: 1, name: `console-e2e-${process.pid}` });
  const [registryPort, consolePort] = [await freePort(), await freePort()];
  const registryUrl = `http://127.0.0.1:${registryPort}`;
  const dataDir = processes.tempDir('console-e2e-registry-');
  await processes.spawn({
    name: 'registry',
    command: process.execPath,
    args: [
      REGISTRY_BIN,
      '--port',
      String(registryPort),
      '--store-endpoints',
      etcd.endpoints.join(','),
      '--database-url',
      `sqlite:${join(dataDir, 'registry.sqlite')}`,
    ],
    env: {
      SKYROAD_LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...(options.adminPassword ? { SKYROAD_ADMIN_PASSWORD: options.adminPassword } : {}),
    },
    ready: () => httpOk(`${registryUrl}/health`),
  });
  const consoleUrl = `http://127.0.0.1:${consolePort}`;
  await processes.spawn({
    name: 'console',
    command: process.execPath,
    args: [NEXT_BIN, 'start', CONSOLE_DIR, '--hostname', '127.0.0.1', '--port', String(consolePort)],
    cwd: CONSOLE_DIR,
    env: { SKYROAD_REGISTRY_URL: registryUrl, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    ready: () => httpOk(`${consoleUrl}/login`),
  });
  return { registryUrl, consoleUrl };
}

/**
 * Whether the registry build mounts the access module (sign-in enforced by the registry);
 * SKYROAD_TEST_REGISTRY_AUTH=1 says so for a registry started from SKYROAD_TEST_REGISTRY_BIN.
 */
export function registryHasAccessModule(): boolean {
  if (process.env['SKYROAD_TEST_REGISTRY_AUTH'] === '1') return true;
  const appModule = join(WORKSPACE, 'apps/registry/dist/app.module.js');
  return existsSync(appModule) && readFileSync(appModule, 'utf8').includes('@skyroad/access');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A new page at laptop size (1366×768). */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`screenshot: ${path}\n`);
  return path;
}

/** Response bodies are whatever the registry sent; tests read them freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ResponseBody = any;

/** JSON over HTTP to the registry, as services and automation call it. */
export async function registryCall(
  registryUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: ResponseBody }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(registryUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export interface SeedInstance {
  host: string;
  port: number;
  version: string;
  zone: string;
}

export async function registerInstance(
  registryUrl: string,
  service: string,
  instance: SeedInstance,
  token?: string,
): Promise<string> {
  const answer = await registryCall(
    registryUrl,
    'POST',
    `/v1/namespaces/default/services/${service}/instances`,
    {
      host: instance.host,
      port: instance.port,
      ttl: 3600,
      metadata: { version: instance.version, zone: instance.zone },
    },
    token,
  );
  if (answer.status !== 201)
    throw new Error(`register ${service}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id as string;
}
