import { Backoff, pause } from '../backoff.ts';
import { RegistryRequestError } from '../errors.ts';
import type { RegisterBody, RegistryClient } from '../registry/registry-client.ts';
import type { Instance, SkyroadLogger } from '../types.ts';

/** Default instance TTL in seconds, as the registry's. */
export const DEFAULT_TTL_S = 10;
export const HEARTBEAT_BACKOFF_BASE_MS = 100;

export interface RegisterOptions {
  readonly service: string;
  readonly host: string;
  readonly port: number;
  /** Defaults to the registry's `${service}-${host}-${port}`. */
  readonly id?: string;
  readonly weight?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Seconds without a heartbeat after which the registry drops the instance. */
  readonly ttl?: number;
}

/** Counters a service (or a test) can look at. */
export interface RegistrationStats {
  readonly registrations: number;
  readonly heartbeats: number;
  readonly failedHeartbeats: number;
}

/**
 * One registered instance, kept alive: a heartbeat every third of the TTL; when the registry
 * answers 404 (the instance expired, or the registry lost it) it registers again; when the
 * registry cannot be reached it retries with jittered backoff, never waiting longer than the
 * heartbeat interval, so a registry restart shorter than the TTL goes unnoticed.
 */
export class Registration {
  private current: Instance;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private counts = { registrations: 1, heartbeats: 0, failedHeartbeats: 0 };
  private closed = false;

  private constructor(
    private readonly client: RegistryClient,
    private readonly body: RegisterBody & { id: string },
    private readonly service: string,
    first: Instance,
    private readonly logger: SkyroadLogger,
    private readonly random: () => number,
    private readonly onClose: (r: Registration) => void,
  ) {
    this.current = first;
  }

  /** Registers (throwing when no registry takes it) and starts the heartbeat loop. */
  static async start(
    client: RegistryClient,
    options: RegisterOptions,
    logger: SkyroadLogger,
    random: () => number,
    onClose: (r: Registration) => void,
  ): Promise<Registration> {
    const body: RegisterBody = {
      host: options.host,
      port: options.port,
      id: options.id,
      weight: options.weight,
      metadata: options.metadata,
      ttl: options.ttl ?? DEFAULT_TTL_S,
    };
    const first = await client.register(options.service, body);
    const registration = new Registration(
      client,
      { ...body, id: first.id },
      options.service,
      first,
      logger,
      random,
      onClose,
    );
    registration.loop = registration.keepAlive();
    return registration;
  }

  get id(): string {
    return this.current.id;
  }

  /** The instance as the registry last described it. */
  get instance(): Instance {
    return this.current;
  }

  get stats(): RegistrationStats {
    return { ...this.counts };
  }

  /** Stops heartbeating and removes the instance from the registry. */
  async deregister(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort();
    await this.loop;
    this.onClose(this);
    await this.client.deregister(this.service, this.current.id);
  }

  private intervalMs(): number {
    const ttl = this.current.ttl > 0 ? this.current.ttl : (this.body.ttl ?? DEFAULT_TTL_S);
    return Math.max(100, (ttl * 1000) / 3);
  }

  private async keepAlive(): Promise<void> {
    const backoff = new Backoff(HEARTBEAT_BACKOFF_BASE_MS, this.intervalMs(), this.random);
    let wait = this.intervalMs();
    while (!this.stopping.signal.aborted) {
      await pause(wait, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      try {
        const answer = await this.client.heartbeat(this.service, this.current.id);
        if (answer === 'gone') {
          this.logger.warn('instance expired at the registry; registering again', { id: this.current.id });
          this.current = await this.client.register(this.service, this.body);
          this.counts.registrations += 1;
        } else {
          this.counts.heartbeats += 1;
        }
        backoff.reset();
        wait = this.intervalMs();
      } catch (error) {
        this.counts.failedHeartbeats += 1;
        wait = backoff.next();
        this.logger.warn('heartbeat failed; retrying', {
          id: this.current.id,
          retryInMs: wait,
          error: error instanceof RegistryRequestError ? error.message : String(error),
        });
      }
    }
  }
}
