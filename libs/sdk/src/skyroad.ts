import type { Policy } from '@skyroad/governance';
import { callService, type CallOptions } from './call/service-caller.ts';
import { FailoverFile } from './discovery/failover-file.ts';
import { ServiceCache } from './discovery/service-cache.ts';
import { ServiceWatch, type WatchChange } from './discovery/service-watch.ts';
import { ClientClosedError, RegistryRequestError, RegistryUnavailableError, SkyroadError } from './errors.ts';
import { ServiceGovernor } from './governor/service-governor.ts';
import { RegistryClient } from './registry/registry-client.ts';
import { Registration, type RegisterOptions } from './registration/registration.ts';
import { silentLogger, type Instance, type SkyroadLogger } from './types.ts';

/** How long the first `discover` of a service waits for the registry before giving up. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5_000;

export interface ConnectOptions {
  /** One registry URL or several (tried in order, failing over). */
  readonly registry: string | readonly string[];
  readonly namespace?: string;
  /** API token, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Where the last known state of each discovered service is kept on disk. */
  readonly failoverDir?: string;
  /** Deregister every instance and close on SIGTERM and SIGINT. */
  readonly handleSignals?: boolean;
  readonly logger?: SkyroadLogger;
  /** Random source for balancing, weighted routing and jitter (a seeded one in tests). */
  readonly random?: () => number;
  readonly discoveryTimeoutMs?: number;
  /** Timeout of one registry request. */
  readonly requestTimeoutMs?: number;
  /** A watch stream silent this long is reopened (the registry sends keepalives every 15 s). */
  readonly watchIdleTimeoutMs?: number;
}

/** What `pick` (and route matching in `call`) looks at. */
export interface PickOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly callerMetadata?: Readonly<Record<string, string>>;
  readonly hashKey?: string;
}

export interface WatchSubscription {
  close(): void;
}

export type InstancesListener = (instances: Instance[]) => void;

const NO_PICK_OPTIONS: PickOptions = Object.freeze({});

/** Signature of a service entry before its listeners first heard of it. */
const NOT_NOTIFIED = '\u0000';

/** Service and namespace names, as the registry accepts them (they become file names too). */
const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

function assertName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new SkyroadError(`invalid ${kind} name ${JSON.stringify(name)}`);
}

interface ServiceEntry {
  readonly cache: ServiceCache;
  readonly watch: ServiceWatch;
  readonly governor: ServiceGovernor;
  readonly listeners: Set<InstancesListener>;
  signature: string;
}

/**
 * The Skyroad client a service embeds: registers its instances and keeps them alive,
 * discovers and watches other services through a local cache fed by one SSE stream per
 * service, and picks or calls instances under each service's governance policy.
 */
export class Skyroad {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly registrations = new Set<Registration>();
  /** Registrations the registry has not answered yet: close() must not leave them behind. */
  private readonly starting = new Set<Promise<Registration>>();
  private readonly failover: FailoverFile | undefined;
  private readonly logger: SkyroadLogger;
  private readonly random: () => number;
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: RegistryClient,
    private readonly options: ConnectOptions,
    readonly namespace: string,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.failover = options.failoverDir ? new FailoverFile(options.failoverDir, namespace) : undefined;
    if (options.handleSignals) this.installSignalHandlers();
  }

  /**
   * Connects to the registry (the first of the list that answers). When none answers, this
   * fails with RegistryUnavailableError, unless a failoverDir is given: then the client starts
   * on the failover files and keeps trying the registry in the background.
   */
  static async connect(options: ConnectOptions): Promise<Skyroad> {
    const urls = typeof options.registry === 'string' ? [options.registry] : [...options.registry];
    const namespace = options.namespace ?? 'default';
    assertName('namespace', namespace);
    const client = new RegistryClient(urls, {
      namespace,
      token: options.token,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    try {
      const health = await client.request('GET', '/health');
      if (health.status >= 500)
        throw new RegistryUnavailableError(urls, new Error(`health ${health.status}`));
    } catch (error) {
      if (!options.failoverDir) throw error;
      (options.logger ?? silentLogger).warn('registry unreachable at start; using failover files', {
        error: String(error),
      });
    }
    return new Skyroad(client, options, namespace);
  }

  /** Registers an instance and keeps it alive until `deregister()` or `close()`. */
  async register(options: RegisterOptions): Promise<Registration> {
    this.assertOpen();
    assertName('service', options.service);
    const start = Registration.start(this.client, options, this.logger, this.random, (r) =>
      this.registrations.delete(r),
    );
    this.starting.add(start);
    let registration: Registration;
    try {
      registration = await start;
    } finally {
      this.starting.delete(start);
    }
    if (this.closed) {
      // close() began while the registry was answering: it deregisters this one too. Fail only
      // once it has, so that a caller ending the process on this error cannot cut it short.
      await this.closing;
      throw new ClientClosedError();
    }
    this.registrations.add(registration);
    return registration;
  }

  /** Healthy, enabled instances of a service (from the local cache after the first call). */
  async discover(service: string): Promise<Instance[]> {
    const entry = await this.loaded(service);
    return [...entry.cache.eligible()];
  }

  /**
   * Calls `listener` with the healthy, enabled instances of the service now (once known) and
   * after every change.
   */
  watch(service: string, listener: InstancesListener): WatchSubscription {
    this.assertOpen();
    const entry = this.entry(service);
    entry.listeners.add(listener);
    if (entry.cache.loaded)
      queueMicrotask(() => entry.listeners.has(listener) && listener(entry.cache.eligible()));
    return { close: () => void entry.listeners.delete(listener) };
  }

  /** An instance for one request, chosen under the service's policy; skips open circuits. */
  async pick(service: string, options: PickOptions = NO_PICK_OPTIONS): Promise<Instance> {
    // Once the service is loaded, pick without awaiting anything (one promise per pick).
    const known = this.closed ? undefined : this.services.get(service);
    const entry = known?.cache.loaded ? known : await this.loaded(service);
    return entry.governor.pick(entry.cache.eligible(), options);
  }

  /** The governance policy currently applied to a service (`{}` when it has none). */
  async policy(service: string): Promise<Policy> {
    return (await this.loaded(service)).governor.currentPolicy;
  }

  /**
   * Requests `path` on an instance of `service` directly, with the policy's timeout, retries,
   * circuit breaking and rate limit; returns the fetch Response.
   */
  async call(service: string, path: string, options: CallOptions = {}): Promise<Response> {
    const entry = await this.loaded(service);
    return callService(
      { service, governor: entry.governor, instances: () => entry.cache.eligible() },
      path,
      options,
    );
  }

  /** Deregisters every instance this client registered and stops every watch. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const [signal, handler] of this.signalHandlers) process.removeListener(signal, handler);
    // A registration still in flight (a signal during start-up) is on the registry once it
    // answers: wait for it, or the instance would stay listed until its TTL runs out.
    const started = await Promise.allSettled([...this.starting]);
    const inFlight = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.all(
      [...this.registrations, ...inFlight].map((r) =>
        r
          .deregister()
          .catch((error) => this.logger.warn('deregister failed', { id: r.id, error: String(error) })),
      ),
    );
    await Promise.all([...this.services.values()].map((e) => e.watch.close()));
    this.services.clear();
  }

  private async loaded(service: string): Promise<ServiceEntry> {
    this.assertOpen();
    const entry = this.entry(service);
    if (entry.cache.loaded) return entry;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS);
    });
    await Promise.race([entry.watch.firstAttempt, timeout]);
    clearTimeout(timer);
    if (entry.cache.loaded) return entry;
    const error = entry.watch.lastError;
    if (error instanceof RegistryRequestError || error instanceof RegistryUnavailableError) throw error;
    throw new RegistryUnavailableError(this.client.registries, error);
  }

  private entry(service: string): ServiceEntry {
    let entry = this.services.get(service);
    if (entry) return entry;
    assertName('service', service);
    const cache = new ServiceCache();
    const governor = new ServiceGovernor(service, {}, this.random);
    const listeners = new Set<InstancesListener>();
    const created: ServiceEntry = {
      cache,
      governor,
      listeners,
      signature: NOT_NOTIFIED,
      watch: new ServiceWatch({
        service,
        client: this.client,
        cache,
        failover: this.failover,
        logger: this.logger,
        random: this.random,
        idleTimeoutMs: this.options.watchIdleTimeoutMs,
        onChange: (change) => this.onChange(created, change),
      }),
    };
    entry = created;
    this.services.set(service, entry);
    return entry;
  }

  private onChange(entry: ServiceEntry, change: WatchChange): void {
    if (change === 'policy') {
      entry.governor.setPolicy(entry.cache.policy);
      return;
    }
    const eligible = entry.cache.eligible();
    entry.governor.retain(new Set(entry.cache.all().map((i) => i.id)));
    const signature = eligible.map((i) => `${i.id}@${i.revision}`).join(',');
    if (signature === entry.signature) return;
    entry.signature = signature;
    for (const listener of entry.listeners) {
      try {
        listener([...eligible]);
      } catch (error) {
        this.logger.warn('watch listener threw', { error: String(error) });
      }
    }
  }

  private installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => {
        void this.close().finally(() => {
          // When nobody else handles the signal, end the process the way the signal would have.
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
      };
      process.on(signal, handler);
      this.signalHandlers.push([signal, handler]);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}
