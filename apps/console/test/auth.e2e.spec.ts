import type { Browser, Page } from 'playwright-core';
import { useProcessSet } from '@skyroad/testkit';
import {
  launchBrowser,
  newPage,
  registerInstance,
  registryCall,
  registryHasAccessModule,
  screenshot,
  startPlatform,
  type Platform,
} from './support/platform';

/*
 * Sign-in and roles, end to end: these need the registry to enforce them, i.e. the registry
 * build to mount libs/access. Until it does, this file is skipped (and says so); once the
 * registry is wired, it runs with no change.
 */
const ADMIN_PASSWORD = 'console-admin-pass-1';
const wired = registryHasAccessModule();
if (!wired) {
  process.stdout.write('auth.e2e.spec.ts skipped: apps/registry/dist does not mount @skyroad/access yet\n');
}

(wired ? describe : describe.skip)('signing in to the console', () => {
  jest.setTimeout(60_000);
  const processes = useProcessSet();
  let platform: Platform;
  let browser: Browser;
  let adminToken: string;
  const policyPath = '/v1/namespaces/default/services/orders/policy';

  beforeAll(async () => {
    platform = await startPlatform(processes, { adminPassword: ADMIN_PASSWORD });
    const login = await registryCall(platform.registryUrl, 'POST', '/v1/auth/login', {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    expect(login.status).toBe(200);
    adminToken = login.body.token;
    await registerInstance(
      platform.registryUrl,
      'orders',
      { host: '10.0.0.1', port: 8080, version: 'v1', zone: 'bj-a' },
      adminToken,
    );
    const put = await registryCall(
      platform.registryUrl,
      'PUT',
      policyPath,
      { loadBalancer: { strategy: 'random' } },
      adminToken,
    );
    expect(put.status).toBe(200);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${platform.consoleUrl}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('refuses a wrong password, lets the admin in, and lets the admin add a viewer and a token', async () => {
    const page = await newPage(browser);
    await signIn(page, 'admin', 'not-the-password');
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    expect(await page.context().cookies()).toEqual([]);
    await screenshot(page, 'sign-in-refused');

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/services$/);
    await page.locator('[data-testid="who"]', { hasText: 'admin · admin' }).waitFor();
    await page.locator('tr[data-service="orders"]').waitFor();
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'skyroad_session', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).not.toContain('skyroad_session');

    // The admin adds a viewer and an API token for a service on the Access page.
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByLabel('New username').fill('vera');
    await page.getByLabel('Initial password').fill('viewer-pass-1');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.locator('tr[data-user="vera"]').waitFor();
    await page.getByLabel('Token name').fill('orders-svc');
    await page.getByLabel('Token role').selectOption('service');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('[data-testid="token-secret"]').innerText();
    await page.locator('tr[data-token="orders-svc"]').waitFor();
    await screenshot(page, 'access-admin');
    const registered = await registerInstance(
      platform.registryUrl,
      'orders',
      { host: '10.0.0.7', port: 8080, version: 'v2', zone: 'bj-c' },
      secret,
    );
    expect(registered).toBe('orders-10.0.0.7-8080');
    const refused = await registryCall(platform.registryUrl, 'PUT', policyPath, {}, secret);
    expect(refused.status).toBe(403);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    expect(await page.context().cookies()).toEqual([]);
    // The signed-out session is gone in the registry too.
    expect(
      (await registryCall(platform.registryUrl, 'GET', '/v1/auth/me', undefined, cookie.value)).status,
    ).toBe(401);
    await page.context().close();
  });

  it('lets a viewer look but not save a policy', async () => {
    const page = await newPage(browser);
    await signIn(page, 'vera', 'viewer-pass-1');
    await page.waitForURL(/\/services$/);
    await page.goto(`${platform.consoleUrl}/services/default/orders/policy`);
    await page.getByLabel('Load balancing strategy').selectOption('p2c');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: 'You may not change this policy' }).waitFor();
    await screenshot(page, 'viewer-cannot-save');
    const served = await registryCall(platform.registryUrl, 'GET', policyPath, undefined, adminToken);
    expect(served.body.policy).toEqual({ loadBalancer: { strategy: 'random' } });
    expect(served.body.updatedBy).toBe('admin');

    // Once the registry no longer knows the session, pages send the person to sign in again.
    expect(
      (await registryCall(platform.registryUrl, 'DELETE', '/v1/users/vera', undefined, adminToken)).status,
    ).toBe(204);
    await page.goto(`${platform.consoleUrl}/services/default/orders`);
    await page.waitForURL(/\/login\?next=%2Fservices%2Fdefault%2Forders$/);
    await page.getByLabel('Username').waitFor();
    await page.context().close();
  });

  it('lets an admin save, and the history names who did', async () => {
    const page = await newPage(browser);
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.waitForURL(/\/services$/);
    await page.goto(`${platform.consoleUrl}/services/default/orders/policy`);
    await page.getByLabel('Load balancing strategy').selectOption('least_request');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const history = await registryCall(
      platform.registryUrl,
      'GET',
      `${policyPath}/history`,
      undefined,
      adminToken,
    );
    expect(history.body.versions[0]).toMatchObject({
      updatedBy: 'admin',
      policy: { loadBalancer: { strategy: 'least_request' } },
    });
    await page.context().close();
  });
});
