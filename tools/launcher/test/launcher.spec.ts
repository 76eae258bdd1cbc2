import { join } from 'node:path';
import { etcdctl, tcpReachable, useProcessSet, waitFor, type ManagedProcess } from '@skyroad/testkit';
import { BASE_PORTS } from '../src/topology';
import { freePortOffset } from './support/platform-ports';

const launcherMain = join(__dirname, '..', 'dist', 'main.js');

describe('npm start (launcher) with the store clusters on etcd', () => {
  const processes = useProcessSet();

  it('brings up the primary and standby clusters, keeps data across runs, and frees every port on SIGINT', async () => {
    const offset = await freePortOffset();
    const dataDir = processes.tempDir('launcher-data-');
    const start = async (): Promise<ManagedProcess> => {
      const launcher = await processes.spawn({
        name: 'launcher',
        command: process.execPath,
        args: [
          launcherMain,
          '--store',
          'etcd',
          '--no-registry',
          '--no-build',
          '--port-offset',
          String(offset),
          '--data-dir',
          dataDir,
        ],
        env: { NO_COLOR: '1' },
      });
      await launcher.waitUntil(async () => /Skyroad is up/.test(launcher.logTail()), 60_000, 'platform up');
      return launcher;
    };
    const primary = BASE_PORTS.primaryClient.map((p) => `http://127.0.0.1:${p + offset}`);
    const standby = `http://127.0.0.1:${BASE_PORTS.standbyClient + offset}`;
    let launcher = await start();
    await etcdctl(primary, ['put', '/launcher/kept', 'yes']);
    const { stdout: members } = await etcdctl(primary, ['member', 'list']);
    expect(members.trim().split('\n')).toHaveLength(3);
    await etcdctl([standby], ['put', '/launcher/standby', 'ok']);
    // Every line a child prints is prefixed with its name.
    expect(launcher.logTail()).toMatch(/store-2\s+\|/);

    launcher.signal('SIGINT');
    const status = await launcher.exited;
    expect(status.code).toBe(0);
    expect(launcher.logTail()).toContain('every process has exited');
    for (const port of [...BASE_PORTS.primaryClient, ...BASE_PORTS.primaryPeer, BASE_PORTS.standbyClient]) {
      expect({ port: port + offset, listening: await tcpReachable(port + offset) }).toEqual({
        port: port + offset,
        listening: false,
      });
    }

    // A second start keeps the data.
    launcher = await start();
    await waitFor(
      async () => {
        const { stdout } = await etcdctl(primary, ['get', '/launcher/kept', '--print-value-only']);
        return stdout.trim() === 'yes';
      },
      { what: 'data from the first run' },
    );
    launcher.signal('SIGINT');
    expect((await launcher.exited).code).toBe(0);
  });
});
