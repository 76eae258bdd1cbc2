import { parseOptions, UsageError } from '../src/options';
import { BASE_PORTS, buildTopology } from '../src/topology';

describe('launcher options', () => {
  it('defaults to the whole platform on the documented ports', () => {
    const options = parseOptions([], {});
    expect(options).toMatchObject({
      store: 'skyroad',
      standby: true,
      console: true,
      demo: true,
      portOffset: 0,
    });
  });

  it('reads flags and environment variables, flags last', () => {
    const options = parseOptions(['--no-demo', '--port-offset=100', '--store', 'etcd'], {
      SKYROAD_START_CONSOLE: '0',
      SKYROAD_DATA_DIR: '/tmp/x',
    });
    expect(options).toMatchObject({
      store: 'etcd',
      console: false,
      demo: false,
      portOffset: 100,
      dataDir: '/tmp/x',
    });
  });

  it('refuses unknown flags and bad values with a reason', () => {
    expect(() => parseOptions(['--bogus'], {})).toThrow(new UsageError('unknown flag --bogus'));
    expect(() => parseOptions(['--store', 'zookeeper'], {})).toThrow(/--store must be skyroad or etcd/);
    expect(() => parseOptions(['--port-offset', '-5'], {})).toThrow(/--port-offset must be an integer/);
    expect(() => parseOptions(['--data-dir'], {})).toThrow(/--data-dir needs a value/);
  });
});

describe('launcher topology', () => {
  it('lays out the ports of ARCHITECTURE.md and wires the registry to both clusters', () => {
    const options = parseOptions(['--no-build'], {});
    if (options === 'help') throw new Error('unexpected help');
    const specs = buildTopology(options, '/repo');
    expect(specs.map((s) => s.name)).toEqual([
      'store-1',
      'store-2',
      'store-3',
      'standby-1',
      'registry',
      'console',
      'payments-v1',
      'payments-v2',
      'orders',
      'gateway',
    ]);
    expect(specs[0].healthUrl).toBe(`http://127.0.0.1:${BASE_PORTS.primaryClient[0]}/health`);
    const registry = specs.find((s) => s.name === 'registry');
    expect(registry?.args).toEqual(
      expect.arrayContaining([
        '--store-endpoints',
        'http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379',
        '--standby-store-endpoints',
        'http://127.0.0.1:42379',
        '--port',
        '7070',
      ]),
    );
    expect(specs.find((s) => s.name === 'gateway')?.url?.href).toBe('http://127.0.0.1:7100/');
  });

  it('shifts every port by the offset and leaves out what is switched off', () => {
    const options = parseOptions(['--port-offset', '1000', '--no-standby', '--no-registry'], {});
    if (options === 'help') throw new Error('unexpected help');
    const specs = buildTopology(options, '/repo');
    expect(specs.map((s) => s.name)).toEqual(['store-1', 'store-2', 'store-3']);
    expect(specs[2].args).toEqual(expect.arrayContaining(['--listen-client-urls', 'http://127.0.0.1:33379']));
  });
});
