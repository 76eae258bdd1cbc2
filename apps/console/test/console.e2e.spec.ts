import type { Browser, Page } from 'playwright-core';
import { useProcessSet } from '@skyroad/testkit';
import {
  launchBrowser,
  newPage,
  registerInstance,
  registryCall,
  screenshot,
  startPlatform,
  type Platform,
} from './support/platform';

/*
 * The console in real Chromium, against the real registry on real etcd, with the registry's
 * anonymous loopback access (no sign-in needed). Sign-in and roles are in auth.e2e.spec.ts.
 */
jest.setTimeout(60_000);
const processes = useProcessSet();
let platform: Platform;
let browser: Browser;
let page: Page;
const ids: Record<string, string> = {};

beforeAll(async () => {
  platform = await startPlatform(processes);
  ids['v1a'] = await registerInstance(platform.registryUrl, 'orders', {
    host: '10.0.0.1',
    port: 8080,
    version: 'v1',
    zone: 'bj-a',
  });
  ids['v1b'] = await registerInstance(platform.registryUrl, 'orders', {
    host: '10.0.0.2',
    port: 8080,
    version: 'v1',
    zone: 'bj-b',
  });
  ids['v2a'] = await registerInstance(platform.registryUrl, 'orders', {
    host: '10.0.0.3',
    port: 8080,
    version: 'v2',
    zone: 'bj-a',
  });
  await registerInstance(platform.registryUrl, 'payments', {
    host: '10.0.1.1',
    port: 9090,
    version: 'v1',
    zone: 'bj-a',
  });
  browser = await launchBrowser();
  page = await newPage(browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

const policyPath = '/v1/namespaces/default/services/orders/policy';

it('lists services with their instance counts and health', async () => {
  await page.goto(`${platform.consoleUrl}/services`);
  const orders = page.locator('tr[data-service="orders"]');
  await orders.waitFor();
  const cells = await orders.locator('td').allInnerTexts();
  expect(cells.slice(0, 4)).toEqual(['orders', '3', '3', 'healthy']);
  await page.locator('tr[data-service="payments"]').waitFor();
  await screenshot(page, 'services');
});

it('changes an instance weight and disables an instance, and follows registrations live', async () => {
  await page.goto(`${platform.consoleUrl}/services`);
  await page.getByRole('link', { name: 'orders', exact: true }).click();
  await page.getByRole('table', { name: 'Instances' }).waitFor();
  await page.locator('[data-testid="live"]', { hasText: 'live' }).waitFor();

  const row = page.locator(`tr[data-instance="${ids['v2a']}"]`);
  await row.getByLabel(`Weight of ${ids['v2a']}`).fill('250');
  await row.getByRole('button', { name: 'Set' }).click();
  await row.locator('[data-testid="weight"]', { hasText: '250' }).waitFor();
  const instances = await registryCall(
    platform.registryUrl,
    'GET',
    '/v1/namespaces/default/services/orders/instances',
  );
  const changed = instances.body.instances.find((i: { id: string }) => i.id === ids['v2a']);
  expect(changed.weight).toBe(250);

  const other = page.locator(`tr[data-instance="${ids['v1b']}"]`);
  await other.getByRole('button', { name: 'Disable' }).click();
  await other.getByRole('button', { name: 'Enable' }).waitFor();
  const after = await registryCall(
    platform.registryUrl,
    'GET',
    '/v1/namespaces/default/services/orders/instances',
  );
  expect(after.body.instances.find((i: { id: string }) => i.id === ids['v1b']).enabled).toBe(false);

  // A registration made elsewhere shows up through the watch stream, without a reload.
  const late = await registerInstance(platform.registryUrl, 'orders', {
    host: '10.0.0.9',
    port: 8080,
    version: 'v2',
    zone: 'bj-c',
  });
  await page.locator(`tr[data-instance="${late}"]`).waitFor();
  await registryCall(
    platform.registryUrl,
    'DELETE',
    `/v1/namespaces/default/services/orders/instances/${late}`,
  );
  await page.locator(`tr[data-instance="${late}"]`).waitFor({ state: 'detached' });
  await screenshot(page, 'service-instances');
});

it('edits a policy with client-side validation, shows the split and the diff, and saves it', async () => {
  await page.goto(`${platform.consoleUrl}/services/default/orders/policy`);
  await page.getByLabel('Load balancing strategy').selectOption('weighted_round_robin');
  await page.getByLabel('Default route').check();
  await page.getByRole('button', { name: 'Canary' }).click();
  expect(await page.getByLabel('default destination 1 subset').inputValue()).toBe('version=v1');
  expect(await page.getByLabel('default destination 2 weight').inputValue()).toBe('10');

  // Weights that do not add up to 100 are refused next to the destinations, before saving.
  await page.getByLabel('default destination 2 weight').fill('20');
  await page.locator('.error', { hasText: 'weights must add up to 100 (got 110)' }).waitFor();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('Fix the problems marked below first.').waitFor();
  expect((await registryCall(platform.registryUrl, 'GET', policyPath)).status).toBe(404);
  await page.getByLabel('default destination 2 weight').fill('10');
  await page.locator('.error', { hasText: 'weights must add up to 100' }).waitFor({ state: 'detached' });

  await page.getByLabel('Circuit breaker').check();
  await page.getByLabel('Error rate to open (%)').fill('50');
  await page.getByLabel('Timeout (ms)').fill('2000');

  const legend = await page.getByRole('figure', { name: 'Default route' }).innerText();
  expect(legend).toContain('version=v1 90.0%');
  expect(legend).toContain('version=v2 10.0%');
  const diff = await page.getByLabel('Policy diff').innerText();
  expect(diff).toContain('+ ');
  expect(diff).toContain('"strategy": "weighted_round_robin"');
  await screenshot(page, 'policy-editor');

  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const served = await registryCall(platform.registryUrl, 'GET', policyPath);
  expect(served.status).toBe(200);
  expect(served.body.policy).toEqual({
    loadBalancer: { strategy: 'weighted_round_robin' },
    defaultRoute: {
      destinations: [
        { subset: { version: 'v1' }, weight: 90 },
        { subset: { version: 'v2' }, weight: 10 },
      ],
    },
    circuitBreaker: { errorRatePercent: 50 },
    timeoutMs: 2000,
  });
  expect(await page.getByText('No changes.').isVisible()).toBe(true);
});

it('adds a route with a header match, flagging an unreadable match before saving', async () => {
  await page.goto(`${platform.consoleUrl}/services/default/orders/policy`);
  await page.getByRole('button', { name: 'Add route' }).click();
  await page.getByLabel('Route name').fill('canary-testers');
  await page.getByLabel('Match headers (name=value, …)').fill('x-canary=1, broken');
  await page.locator('.error', { hasText: '"broken" is not name=value' }).waitFor();
  await page.getByLabel('Match headers (name=value, …)').fill('x-canary=1');
  await page.getByLabel('route-0 destination 1 subset').fill('version=v2');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
  const served = await registryCall(platform.registryUrl, 'GET', policyPath);
  expect(served.body.policy.routes).toEqual([
    {
      name: 'canary-testers',
      match: { headers: { 'x-canary': '1' } },
      destinations: [{ subset: { version: 'v2' }, weight: 100 }],
    },
  ]);
});

it('shows who changed the policy and when, diffs two versions and rolls back', async () => {
  await page.goto(`${platform.consoleUrl}/services/default/orders/history`);
  const table = page.getByRole('table', { name: 'Policy history' });
  await table.waitFor();
  expect(await table.locator('tbody tr').count()).toBe(2);
  const newest = await table.locator('tbody tr').first().locator('td').allInnerTexts();
  expect(newest[0]).toBe('2');
  expect(newest[2]).toBe('anonymous');

  await page.getByLabel('Compare from version 1').check();
  await page.getByLabel('Compare to version 2').check();
  const diff = await page.getByLabel('Version diff').innerText();
  expect(diff).toMatch(/^\+ +"name": "canary-testers"$/m);
  await screenshot(page, 'policy-history');

  await page.getByRole('button', { name: 'Roll back to version 1' }).click();
  await page.getByRole('status').filter({ hasText: 'Rolled back to version 1' }).waitFor();
  await table.locator('tbody tr').nth(2).waitFor();
  const served = await registryCall(platform.registryUrl, 'GET', policyPath);
  expect(served.body.policy.routes).toBeUndefined();
  expect(served.body.policy.loadBalancer).toEqual({ strategy: 'weighted_round_robin' });
  expect(await table.locator('tbody tr').first().locator('td').nth(4).innerText()).toBe('rollback to 1');
});

it('shows the cluster as the registry reports it', async () => {
  await page.goto(`${platform.consoleUrl}/cluster`);
  await page.locator('[data-testid="readiness"]', { hasText: 'ready' }).waitFor();
  expect(await page.locator('[data-fact="Serving"] .value').innerText()).toBe('primary');
  // What the registry does not report is said to be unknown, never made up.
  expect(await page.locator('[data-fact="Raft term"] .value').innerText()).toMatch(/^(\d+|unknown)$/);
  expect(await page.locator('[data-fact="Store revision"] .value').innerText()).toMatch(/^\d+$/);

  // The store cluster as its members describe it (GET /v1/cluster): one etcd member, the leader.
  expect(await page.locator('[data-testid="primary-reachable"]').innerText()).toBe('reachable');
  const members = page.getByRole('table', { name: 'Store members (primary)' });
  expect(await members.locator('tbody tr').count()).toBe(1);
  expect(await members.locator('tbody tr').first().innerText()).toContain('leader');
  expect(await page.locator('[data-store-fact="Raft term"] .value').innerText()).toMatch(/^\d+$/);
  expect(await page.locator('[data-store-fact="Raft index"] .value').innerText()).toMatch(/^\d+$/);
  expect(await page.locator('[data-store-fact="DB size"] .value').innerText()).toMatch(/\d (KiB|MiB|GiB)$/);
  expect(await page.locator('[data-fact="Store leader"] .value').innerText()).not.toBe('unknown');

  // Heartbeats while the page polls /metrics: the heartbeat chart gets rates above zero.
  const heartbeat = (id: string) =>
    registryCall(
      platform.registryUrl,
      'PUT',
      `/v1/namespaces/default/services/orders/instances/${id}/heartbeat`,
    );
  let beating = true;
  const beats = (async () => {
    while (beating) {
      await Promise.all([
        ...[ids['v1a'], ids['v2a']].map((id) => heartbeat(id)),
        registryCall(platform.registryUrl, 'GET', '/v1/namespaces/default/services/orders/instances'),
      ]);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const chart = page.locator('[data-chart="Heartbeats"]');
    await page.waitForFunction(
      () => {
        const figure = document.querySelector('[data-chart="Heartbeats"]');
        const latest = figure?.querySelector('[data-latest="rate"]')?.textContent ?? '';
        return Number(figure?.getAttribute('data-points')) >= 2 && parseFloat(latest) > 0;
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await chart.locator('circle.point').count()).toBeGreaterThanOrEqual(2);
    expect(await chart.locator('polyline').count()).toBe(1);
    const instances = page.locator('[data-chart="Instances"]');
    expect(Number(await instances.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
    expect(await instances.locator('[data-latest="total"]').innerText()).toBe('4');
    const discovery = page.locator('[data-chart="Discovery"]');
    expect(Number(await discovery.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  } finally {
    beating = false;
    await beats;
  }
  await screenshot(page, 'cluster');
});
