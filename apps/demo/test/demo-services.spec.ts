import { join } from 'node:path';
import {
  freePorts,
  httpOk,
  startEtcdCluster,
  startOtlpReceiver,
  useProcessSet,
  waitFor,
  type OtlpReceiver,
} from '@skyroad/testkit';

const root = join(__dirname, '..', '..', '..');
const demoMain = join(__dirname, '..', 'dist', 'main.js');
const registryBin = join(root, 'apps', 'registry', 'bin', 'skyroad-registry.js');

interface OrderReply {
  service: string;
  payment: { service: string; version: string };
}

describe('demo services through a real registry on real etcd', () => {
  const processes = useProcessSet();
  let receiver: OtlpReceiver;
  let registryUrl: string;
  let gatewayUrl: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const etcd = await startEtcdCluster(processes, { name: 'demo' });
    const [registryPort, gatewayPort, ordersPort, v1Port, v2Port] = await freePorts(5);
    registryUrl = `http://127.0.0.1:${registryPort}`;
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    await processes.spawn({
      name: 'registry',
      command: process.execPath,
      args: [
        registryBin,
        '--port',
        String(registryPort),
        '--store-endpoints',
        etcd.endpoints.join(','),
        '--database-url',
        `sqlite:${join(processes.tempDir('demo-registry-'), 'registry.sqlite')}`,
      ],
      env: { ...otel, SKYROAD_LOG_LEVEL: 'warn' },
      ready: () => httpOk(`${registryUrl}/ready`),
    });
    const demo = (name: string, role: string, port: number, extra: string[] = []) =>
      processes.spawn({
        name,
        command: process.execPath,
        args: [
          demoMain,
          '--role',
          role,
          '--port',
          String(port),
          '--registry',
          registryUrl,
          '--traffic-interval',
          '0',
          ...extra,
        ],
        env: otel,
        ready: () => httpOk(`http://127.0.0.1:${port}/health`),
      });
    await Promise.all([
      demo('payments-v1', 'payments', v1Port, ['--version', 'v1']),
      demo('payments-v2', 'payments', v2Port, ['--version', 'v2']),
    ]);
    await demo('orders', 'orders', ordersPort);
    await demo('gateway', 'gateway', gatewayPort);
  });

  afterAll(() => receiver.close());

  async function order(headers: Record<string, string> = {}): Promise<OrderReply> {
    const response = await fetch(`${gatewayUrl}/api/order`, { headers });
    expect(response.status).toBe(200);
    return (await response.json()) as OrderReply;
  }

  it('serves an order through gateway -> orders -> payments as one trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const reply = await waitFor(() => order({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` }), {
      what: 'a first order (discovery of orders and payments)',
    });
    expect(reply.service).toBe('orders');
    expect(['v1', 'v2']).toContain(reply.payment.version);

    const services = await waitFor(
      () => {
        const names = new Set(
          receiver
            .spans()
            .filter((s) => s.traceId === traceId)
            .map((s) => s.serviceName),
        );
        return ['gateway', 'orders', 'payments'].every((n) => names.has(n)) ? names : undefined;
      },
      { what: 'spans of gateway, orders and payments in one trace', timeoutMs: 15_000 },
    );
    expect([...services].sort()).toEqual(expect.arrayContaining(['gateway', 'orders', 'payments']));
    // The SDK's discovery watch, opened by this first call, is not part of the call's trace.
    expect(services.has('skyroad-registry')).toBe(false);
    // Every span of the trace but the first hangs off another span of the same trace.
    const spans = receiver.spans().filter((s) => s.traceId === traceId);
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter(
      (s) => s.parentSpanId && !ids.has(s.parentSpanId) && s.parentSpanId !== '00f067aa0ba902b7',
    );
    expect(orphans).toEqual([]);
  });

  it('moves payments traffic when the policy changes', async () => {
    const policyUrl = `${registryUrl}/v1/namespaces/default/services/payments/policy`;
    for (const version of ['v2', 'v1']) {
      const put = await fetch(policyUrl, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ defaultRoute: { destinations: [{ subset: { version }, weight: 100 }] } }),
      });
      expect(put.status).toBe(200);
      // The policy reaches the orders service's SDK through its watch; from then on every
      // order is charged by the chosen version.
      await waitFor(
        async () => {
          for (let i = 0; i < 10; i++) if ((await order()).payment.version !== version) return false;
          return true;
        },
        { what: `ten orders in a row served by payments ${version}`, timeoutMs: 10_000 },
      );
    }
  });
});
