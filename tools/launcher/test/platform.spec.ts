import { join } from 'node:path';
import { httpOk, tcpReachable, useProcessSet, waitFor } from '@skyroad/testkit';
import { BASE_PORTS } from '../src/topology';
import { freePortOffset, PLATFORM_PORTS } from './support/platform-ports';

const launcherMain = join(__dirname, '..', 'dist', 'main.js');

interface OrderReply {
  payment: { version: string };
}

describe('npm start: the whole platform on skyroad-store', () => {
  const processes = useProcessSet();

  it('starts stores, registry, console and demo services; a policy change moves traffic; Ctrl-C frees every port', async () => {
    const offset = await freePortOffset();
    const at = (port: number) => `http://127.0.0.1:${port + offset}`;
    const launcher = await processes.spawn({
      name: 'launcher',
      command: process.execPath,
      args: [
        launcherMain,
        '--no-build',
        '--port-offset',
        String(offset),
        '--data-dir',
        processes.tempDir('platform-'),
      ],
      env: { NO_COLOR: '1', SKYROAD_ADMIN_PASSWORD: 'platform-test-password' },
    });
    await launcher.waitUntil(async () => /Skyroad is up/.test(launcher.logTail()), 120_000, 'platform up');
    expect(launcher.logTail()).toContain(`console        ${at(BASE_PORTS.console)}/services`);

    // The console answers, and the registry knows the demo services.
    expect(await httpOk(`${at(BASE_PORTS.console)}/login`)).toBe(true);
    const services = (await (
      await fetch(`${at(BASE_PORTS.registry)}/v1/namespaces/default/services`)
    ).json()) as {
      services: { name: string; instances: number }[];
    };
    expect(services.services.map((s) => [s.name, s.instances])).toEqual(
      expect.arrayContaining([
        ['gateway', 1],
        ['orders', 1],
        ['payments', 2],
      ]),
    );

    // Demo traffic flows gateway -> orders -> payments through discovery.
    const gateway = at(BASE_PORTS.demoFirst);
    await waitFor(
      async () => {
        const stats = (await (await fetch(`${gateway}/stats`)).json()) as { total: number; failures: number };
        return stats.total > 5 ? stats : undefined;
      },
      { what: 'demo traffic', timeoutMs: 20_000 },
    );

    // A policy sends every payment to v2; orders through the gateway follow it.
    const put = await fetch(`${at(BASE_PORTS.registry)}/v1/namespaces/default/services/payments/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ defaultRoute: { destinations: [{ subset: { version: 'v2' }, weight: 100 }] } }),
    });
    expect(put.status).toBe(200);
    await waitFor(
      async () => {
        for (let i = 0; i < 10; i++) {
          const reply = (await (await fetch(`${gateway}/api/order`)).json()) as OrderReply;
          if (reply.payment.version !== 'v2') return false;
        }
        return true;
      },
      { what: 'ten orders in a row paid by v2', timeoutMs: 15_000 },
    );

    launcher.signal('SIGINT');
    expect((await launcher.exited).code).toBe(0);
    expect(launcher.logTail()).toContain('every process has exited');
    const listening = [];
    for (const port of PLATFORM_PORTS) if (await tcpReachable(port + offset)) listening.push(port + offset);
    expect(listening).toEqual([]);
  });
});
