import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import {
  Global,
  Inject,
  Injectable,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Registration, RegisterOptions } from '../registration/registration.ts';
import { Skyroad, type ConnectOptions } from '../skyroad.ts';
import { silentLogger } from '../types.ts';

/** What `SkyroadModule.forRoot` takes: how to connect, and how to register this app. */
export interface SkyroadModuleOptions extends ConnectOptions {
  /**
   * Registers the app as an instance of `service` when it starts listening and deregisters it
   * on shutdown. `port` defaults to the port the app's HTTP server listens on; `host` to the
   * first non-internal IPv4 address of the machine (127.0.0.1 when there is none).
   */
  readonly register?: Omit<RegisterOptions, 'host' | 'port'> & {
    readonly host?: string;
    readonly port?: number;
  };
}

/** Injection token of the module's options. */
export const SKYROAD_MODULE_OPTIONS = Symbol('SKYROAD_MODULE_OPTIONS');

/** Registers on start, deregisters and closes the client on shutdown. */
@Injectable()
export class SkyroadLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private pending: Promise<Registration | undefined> = Promise.resolve(undefined);

  constructor(
    @Inject(Skyroad) private readonly sky: Skyroad,
    @Inject(SKYROAD_MODULE_OPTIONS) private readonly options: SkyroadModuleOptions,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** The app's registration, once it is registered. */
  get registration(): Promise<Registration | undefined> {
    return this.pending;
  }

  onApplicationBootstrap(): void {
    const register = this.options.register;
    if (!register) return;
    const host = register.host ?? detectHost();
    if (register.port !== undefined) {
      this.pending = this.sky.register({ ...register, host, port: register.port });
      return;
    }
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as
      | {
          listening?: boolean;
          address(): AddressInfo | string | null;
          once(e: 'listening', f: () => void): void;
        }
      | undefined;
    if (!server) throw new Error('SkyroadModule: register.port is required when the app has no HTTP server');
    this.pending = new Promise((resolve, reject) => {
      const go = (): void => {
        const address = server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('SkyroadModule: the HTTP server has no TCP port; give register.port'));
          return;
        }
        this.sky.register({ ...register, host, port: address.port }).then(resolve, reject);
      };
      if (server.listening) go();
      else server.once('listening', go);
    });
    this.pending.catch((error: unknown) =>
      (this.options.logger ?? silentLogger).warn('SkyroadModule: registration failed', {
        error: String(error),
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pending.catch(() => undefined);
    await this.sky.close();
  }
}

/**
 * `SkyroadModule.forRoot({ registry, register: { service: 'orders' } })` makes the `Skyroad`
 * client injectable everywhere (`constructor(private readonly sky: Skyroad)`), registers the
 * app when it listens, and deregisters it on shutdown (with `app.enableShutdownHooks()` also
 * on SIGTERM).
 */
@Global()
@Module({})
export class SkyroadModule {
  static forRoot(options: SkyroadModuleOptions): DynamicModule {
    return {
      module: SkyroadModule,
      global: true,
      providers: [
        { provide: SKYROAD_MODULE_OPTIONS, useValue: options },
        { provide: Skyroad, useFactory: () => Skyroad.connect(options) },
        SkyroadLifecycle,
      ],
      exports: [Skyroad, SkyroadLifecycle],
    };
  }
}

function detectHost(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
