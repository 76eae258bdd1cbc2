import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/*
 * No Docker engine runs here, so the compose topology is checked by construction: every
 * service's flags must be flags its app really accepts (from the built app's --help), every
 * image target must exist in the Dockerfile with an entrypoint that exists, and the clusters
 * must be wired to themselves.
 */
const root = join(__dirname, '..', '..', '..');
const compose = parse(readFileSync(join(root, 'docker/compose.yaml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const dockerfile = readFileSync(join(root, 'docker/Dockerfile'), 'utf8');

interface ComposeService {
  build?: { target?: string };
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}

/** The command that prints each image's flags, as the built workspace runs it. */
const helpCommands: Record<string, string[]> = {
  store: [join(root, 'apps/store/bin/skyroad-store.js'), '--help'],
  registry: [join(root, 'apps/registry/bin/skyroad-registry.js'), '--help'],
  demo: [join(root, 'apps/demo/bin/skyroad-demo.js'), '--help'],
  console: [join(root, 'node_modules/next/dist/bin/next'), 'start', '--help'],
};

function flagsOf(target: string): Set<string> {
  let output: string;
  try {
    output = execFileSync(process.execPath, helpCommands[target], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // Some CLIs print usage and exit non-zero; their output still lists the flags.
    const e = error as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  return new Set(output.match(/--[a-z0-9][a-z0-9-]*/g) ?? []);
}

const services = Object.entries(compose.services);
const ourServices = services.filter(([, s]) => s.build?.target);

/** Stage name -> its ENTRYPOINT (JSON form) and EXPOSE ports. */
function stage(target: string): { entrypoint: string[]; expose: string[] } {
  const match = new RegExp(`FROM runtime AS ${target}\\n([\\s\\S]*?)(?=\\nFROM |$)`).exec(dockerfile);
  if (!match) throw new Error(`no stage ${target} in docker/Dockerfile`);
  const entrypoint = JSON.parse(/ENTRYPOINT (\[.*\])/.exec(match[1])?.[1] ?? '[]') as string[];
  const expose = (/EXPOSE (.*)/.exec(match[1])?.[1] ?? '').split(/\s+/).filter(Boolean);
  return { entrypoint, expose };
}

describe('docker/compose.yaml against the real apps', () => {
  it('builds each of our services from a Dockerfile stage whose entrypoint exists', () => {
    expect(ourServices.map(([, s]) => s.build?.target).sort()).toEqual(
      expect.arrayContaining(['store', 'registry', 'console']),
    );
    for (const [, service] of ourServices) {
      const { entrypoint } = stage(service.build?.target as string);
      const script = entrypoint.find((part) => part.endsWith('.js') || part.includes('/bin/'));
      expect(script).toBeDefined();
      const path = (script as string).startsWith('/app/')
        ? join(root, (script as string).slice(5))
        : join(root, script as string);
      expect({ script, exists: existsSync(path) }).toEqual({ script, exists: true });
    }
  });

  it.each(ourServices)('%s passes only flags its app accepts', (_name, service) => {
    const known = flagsOf(service.build?.target as string);
    const used = (service.command ?? [])
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => arg.split('=')[0]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((flag) => !known.has(flag))).toEqual([]);
  });

  it('maps host ports onto ports the images expose and the apps listen on', () => {
    for (const [name, service] of ourServices) {
      const { expose } = stage(service.build?.target as string);
      for (const mapping of service.ports ?? []) {
        const containerPort = mapping.split(':').pop() as string;
        const command = service.command ?? [];
        const listens =
          expose.includes(containerPort) || command.join(' ').includes(`--port ${containerPort}`);
        expect({ name, mapping, listens }).toEqual({ name, mapping, listens: true });
      }
    }
  });

  it('wires each store cluster to its own members', () => {
    const stores = ourServices.filter(([, s]) => s.build?.target === 'store');
    expect(stores).toHaveLength(6);
    for (const [name, service] of stores) {
      const args = service.command ?? [];
      const value = (flag: string) => args[args.indexOf(flag) + 1];
      expect(value('--name')).toBe(name);
      const cluster = value('--initial-cluster')
        .split(',')
        .map((m) => m.split('='));
      // This member is in its own initial cluster with the peer URL it advertises, and every
      // member named there is a service with the same token.
      expect(cluster).toContainEqual([name, value('--initial-advertise-peer-urls')]);
      for (const [member] of cluster) {
        const peer = compose.services[member];
        expect(peer?.command).toBeDefined();
        const peerArgs = peer.command as string[];
        expect(peerArgs[peerArgs.indexOf('--initial-cluster-token') + 1]).toBe(
          value('--initial-cluster-token'),
        );
      }
    }
  });

  it('points every registry at store services that exist', () => {
    const registries = ourServices.filter(([, s]) => s.build?.target === 'registry');
    expect(registries.length).toBe(2);
    for (const [, service] of registries) {
      const args = service.command ?? [];
      for (const flag of ['--store-endpoints', '--standby-store-endpoints']) {
        const endpoints = args[args.indexOf(flag) + 1].split(',');
        for (const endpoint of endpoints)
          expect(Object.keys(compose.services)).toContain(new URL(endpoint).hostname);
      }
    }
  });
});
