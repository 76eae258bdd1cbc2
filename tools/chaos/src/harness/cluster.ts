import { mkdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { freePort } from '@skyroad/ports';
import { join, resolve } from 'node:path';
import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';
import { MemberProcess } from './processes';
import { PeerProxy, type LinkRules } from './peer-proxy';

export type StoreKind = 'skyroad' | 'etcd';

export const SKYROAD_STORE_BIN = resolve(__dirname, '../../../../apps/store/bin/skyroad-store.js');
const ETCD_BIN = process.env.SKYROAD_TEST_ETCD_BIN ?? 'etcd';
const HEALTH_POLL_MS = 100;
const STATUS_TIMEOUT_MS = 1_000;

export interface ClusterOptions {
  store: StoreKind;
  size: number;
  /** Work directory: data dirs and logs go under it. */
  dir: string;
  quotaBackendBytes?: number;
  /** Committed entries per snapshot; small, so restarted members catch up from snapshots too. */
  snapshotCount?: number;
  token: string;
}

export interface Member {
  index: number;
  name: string;
  clientUrl: string;
  peerPort: number;
  proxyPort: number;
  dataDir: string;
  process: MemberProcess;
}

export function httpHealthy(url: string): Promise<boolean> {
  return new Promise((done) => {
    const req = httpGet(`${url}/health`, { timeout: 500 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done(res.statusCode === 200 && body.includes('true')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
  });
}

export function clientFor(url: string): Etcd3 {
  return new Etcd3({
    hosts: [url],
    dialTimeout: 2_000,
    faultHandling: { host: () => noop, global: noop },
  });
}

/** Link state shared by every proxy: blackholed links and delays, by (dialer, listener). */
class Links implements LinkRules {
  readonly blockedLinks = new Set<string>();
  readonly delays = new Map<string, number>();
  blocked(from: number, to: number): boolean {
    return this.blockedLinks.has(`${from}>${to}`);
  }
  delayMs(from: number, to: number): number {
    return this.delays.get(`${from}>${to}`) ?? this.delays.get(`*>${to}`) ?? 0;
  }
}

/** A cluster of real store processes on loopback, each behind a peer proxy the harness controls. */
export class Cluster {
  readonly links = new Links();
  private proxies: PeerProxy[] = [];
  private statusClients = new Map<number, Etcd3>();

  private constructor(
    readonly options: ClusterOptions,
    readonly members: Member[],
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  static async start(options: ClusterOptions, readyTimeoutMs = 30_000): Promise<Cluster> {
    const specs: Omit<Member, 'process'>[] = [];
    for (let i = 0; i < options.size; i++) {
      specs.push({
        index: i,
        name: `m${i + 1}`,
        clientUrl: `http://127.0.0.1:${await freePort()}`,
        peerPort: await freePort(),
        proxyPort: await freePort(),
        dataDir: join(options.dir, `m${i + 1}.data`),
      });
    }
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.proxyPort}`).join(',');
    mkdirSync(options.dir, { recursive: true });
    const members = specs.map((s) => ({ ...s, process: memberProcess(options, s, initialCluster, 'new') }));
    const cluster = new Cluster(options, members);
    cluster.proxies = members.map(
      (m) =>
        new PeerProxy(m.index, m.proxyPort, m.peerPort, cluster.links, () =>
          members.map((x) => x.process.pid),
        ),
    );
    for (const p of cluster.proxies) await p.start();
    for (const m of members) m.process.start();
    try {
      await cluster.waitHealthy(readyTimeoutMs);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Waits until every running member reports a leader. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.members.filter((m) => m.process.running);
      const states = await Promise.all(running.map((m) => httpHealthy(m.clientUrl)));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) {
        const sick = running
          .filter((_, i) => !states[i])
          .map((m) => `${m.name}:\n${m.process.logTail(1500)}`);
        throw new Error(`cluster not healthy after ${timeoutMs} ms: ${sick.join('\n')}`);
      }
      await sleep(HEALTH_POLL_MS);
    }
  }

  /**
   * Waits until every running member answers Status naming the same leader. Unlike /health
   * this holds while an alarm (NOSPACE) is raised.
   */
  async waitLeader(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.members.filter((m) => m.process.running);
      const leaders = await Promise.all(
        running.map((m) =>
          this.statusClient(m.index)
            .maintenance.status({ deadline: Date.now() + STATUS_TIMEOUT_MS })
            .then((s) => String(s.leader))
            .catch(() => '0'),
        ),
      );
      if (leaders.every((l) => l !== '0' && l === leaders[0])) return;
      if (Date.now() > deadline)
        throw new Error(`no common leader after ${timeoutMs} ms (members say ${leaders.join(', ')})`);
      await sleep(HEALTH_POLL_MS);
    }
  }

  private statusClient(i: number): Etcd3 {
    let c = this.statusClients.get(i);
    if (!c) {
      c = clientFor(this.members[i].clientUrl);
      this.statusClients.set(i, c);
    }
    return c;
  }

  /** The member the majority of reachable members name as leader, or undefined. */
  async leader(): Promise<number | undefined> {
    const ids = await Promise.all(
      this.members.map(async (m) => {
        if (!m.process.running) return undefined;
        try {
          const s = await this.statusClient(m.index).maintenance.status({
            deadline: Date.now() + STATUS_TIMEOUT_MS,
          });
          return { self: s.header.member_id, leader: s.leader };
        } catch {
          return undefined;
        }
      }),
    );
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i];
      if (s && s.self === s.leader) return i;
    }
    return undefined;
  }

  /**
   * Member replacement: removes member i from the cluster (Cluster.MemberRemove through
   * another member), kills it, deletes its data, adds a fresh member behind the same proxy
   * (Cluster.MemberAdd) and starts it with --initial-cluster-state existing.
   */
  async replace(i: number, generation: number): Promise<string> {
    const old = this.members[i];
    const via = this.statusClient(
      this.members.find((m) => m.index !== i && m.process.running)?.index ?? (i + 1) % this.members.length,
    );
    const deadline = (): { deadline: number } => ({ deadline: Date.now() + STATUS_TIMEOUT_MS * 5 });
    const proxyUrl = `http://127.0.0.1:${old.proxyPort}`;
    const list = await via.cluster.memberList({}, deadline());
    const victim = list.members.find((m) => m.peerURLs.includes(proxyUrl));
    // The machine is replaced as a failed one is: stopped first, then removed. (Removed while
    // running, it would notice and exit by itself before the kill, which reads as a crash.)
    await old.process.kill();
    if (victim) await retryUnhealthy(() => via.cluster.memberRemove({ ID: victim.ID }, deadline()));
    rmSync(old.dataDir, { recursive: true, force: true });
    const added = await retryUnhealthy(() => via.cluster.memberAdd({ peerURLs: [proxyUrl] }, deadline()));
    const name = `m${i + 1}r${generation}`;
    // A member that has not published yet (an earlier replacement still starting) is listed
    // without a name; the harness started it, so it names it, as an operator would.
    const nameAt = (peerUrl: string): string =>
      peerUrl === proxyUrl
        ? name
        : (this.members.find((m) => `http://127.0.0.1:${m.proxyPort}` === peerUrl)?.name ?? '');
    const initialCluster = added.members
      .map((m) => `${m.name || nameAt(m.peerURLs[0])}=${m.peerURLs[0]}`)
      .join(',');
    const spec = { ...old, name, dataDir: join(this.options.dir, `${name}.data`) };
    const process = memberProcess(this.options, spec, initialCluster, 'existing');
    this.members[i] = { ...spec, process };
    process.start();
    return `replace ${old.name} by ${name}`;
  }

  async kill(i: number): Promise<void> {
    await this.members[i].process.kill();
  }

  restart(i: number): void {
    if (!this.members[i].process.running) this.members[i].process.start();
  }

  pause(i: number): void {
    this.members[i].process.pause();
  }

  resume(i: number): void {
    this.members[i].process.resume();
  }

  /** Blackholes every link between `group` and the other members, both ways. */
  isolate(group: number[]): void {
    for (const a of group)
      for (const b of this.members.map((m) => m.index))
        if (!group.includes(b)) {
          this.links.blockedLinks.add(`${a}>${b}`);
          this.links.blockedLinks.add(`${b}>${a}`);
        }
    this.rulesChanged();
  }

  blackhole(from: number, to: number): void {
    this.links.blockedLinks.add(`${from}>${to}`);
    this.rulesChanged();
  }

  slow(to: number, delayMs: number): void {
    this.links.delays.set(`*>${to}`, delayMs);
  }

  heal(): void {
    this.links.blockedLinks.clear();
    this.links.delays.clear();
    this.rulesChanged();
  }

  private rulesChanged(): void {
    for (const p of this.proxies) p.rulesChanged();
  }

  describeLogs(bytes = 2000): string {
    return this.members
      .map((m) => `--- ${m.name} (${m.process.logFile}) ---\n${m.process.logTail(bytes)}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    for (const c of this.statusClients.values()) c.close();
    this.statusClients.clear();
    await Promise.all(this.members.map((m) => m.process.stop()));
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}

const RECONFIG_ATTEMPTS = 30;
const RECONFIG_RETRY_MS = 500;

/**
 * etcd (and skyroad-store) refuse membership changes that could cost the quorum: while a
 * member is unreachable ("unhealthy cluster") or a new one has not started yet ("not enough
 * started members"); wait that out.
 */
async function retryUnhealthy<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (
        attempt >= RECONFIG_ATTEMPTS ||
        !/unhealthy cluster|not enough started members/i.test((error as Error).message)
      )
        throw error;
      await sleep(RECONFIG_RETRY_MS);
    }
  }
}

function memberProcess(
  options: ClusterOptions,
  s: Omit<Member, 'process'>,
  initialCluster: string,
  state: 'new' | 'existing',
): MemberProcess {
  const args = [
    '--name',
    s.name,
    '--data-dir',
    s.dataDir,
    '--listen-client-urls',
    s.clientUrl,
    '--advertise-client-urls',
    s.clientUrl,
    '--listen-peer-urls',
    `http://127.0.0.1:${s.peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${s.proxyPort}`,
    '--initial-cluster',
    initialCluster,
    '--initial-cluster-state',
    state,
    '--initial-cluster-token',
    options.token,
    '--log-level',
    'warn',
    ...(options.quotaBackendBytes ? ['--quota-backend-bytes', String(options.quotaBackendBytes)] : []),
    ...(options.snapshotCount ? ['--snapshot-count', String(options.snapshotCount)] : []),
  ];
  const command = options.store === 'etcd' ? ETCD_BIN : process.execPath;
  const fullArgs = options.store === 'etcd' ? args : [SKYROAD_STORE_BIN, ...args];
  return new MemberProcess(s.name, command, fullArgs, join(options.dir, `${s.name}.log`));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
