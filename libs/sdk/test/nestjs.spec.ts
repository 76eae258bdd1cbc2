import 'reflect-metadata';
import { Controller, Get, Inject, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { useProcessSet, waitFor } from '@skyroad/testkit';
import { Skyroad } from '../src/index';
import { SkyroadModule } from '../src/nestjs/index';
import { registryRequest, startPlatform, type Platform } from './support/platform';

const processes = useProcessSet();
let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform(processes);
}, 60_000);

const listed = async () =>
  (
    (await registryRequest(platform, 'GET', '/v1/namespaces/default/services/nest-orders/instances'))
      .body as {
      instances: Array<{ id: string; port: number }>;
    }
  ).instances;

describe('SkyroadModule', () => {
  it('registers the app when it listens, injects the client, deregisters on shutdown', async () => {
    @Controller()
    class OrdersController {
      constructor(@Inject(Skyroad) private readonly sky: Skyroad) {}

      @Get('orders')
      orders(): string {
        return 'order-list';
      }

      @Get('peers')
      async peers(): Promise<number> {
        return (await this.sky.discover('nest-orders')).length;
      }
    }

    @Module({
      imports: [
        SkyroadModule.forRoot({
          registry: platform.url,
          register: { service: 'nest-orders', host: '127.0.0.1', ttl: 30 },
        }),
      ],
      controllers: [OrdersController],
    })
    class AppModule {}

    const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const caller = await Skyroad.connect({ registry: platform.url });
    try {
      await waitFor(async () => (await listed()).some((i) => i.port === port), {
        what: 'nest app registered',
      });
      // Another service reaches the app through the SDK; the app uses its injected client.
      expect(await (await caller.call('nest-orders', '/orders')).text()).toBe('order-list');
      expect(await (await caller.call('nest-orders', '/peers')).text()).toBe('1');
    } finally {
      await app.close();
      await caller.close();
    }
    expect(await listed()).toEqual([]); // TTL is 30 s: only the shutdown deregistration explains this
  });
});
