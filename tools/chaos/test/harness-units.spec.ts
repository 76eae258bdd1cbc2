import { connect, createServer, type AddressInfo } from 'node:net';
import { parseFlags } from '../src/main';
import { identifyDialer } from '../src/harness/peer-proxy';
import { SeededRandom } from '../src/random';

describe('command line', () => {
  it('parses the scenario flags', () => {
    expect(parseFlags(['--duration', '5', '--seed=7', '--fault', 'pause', '--store', 'etcd'])).toMatchObject({
      durationS: 5,
      seed: 7,
      fault: 'pause',
      store: 'etcd',
    });
    expect(() => parseFlags(['--fault', 'meteor'])).toThrow('unknown fault meteor');
    expect(() => parseFlags(['--duration', '0'])).toThrow('--duration');
  });
});

describe('seeded random', () => {
  it('repeats its draws for one seed', () => {
    const draw = (seed: number): number[] => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => r.int(0, 1000));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});

describe('peer proxy', () => {
  it('finds which process dialed a loopback connection', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const serverPort = (server.address() as AddressInfo).port;
    const accepted = new Promise<number>((resolve) =>
      server.once('connection', (s) => resolve(s.remotePort!)),
    );
    const client = connect({ host: '127.0.0.1', port: serverPort });
    const clientPort = await accepted;
    expect(await identifyDialer(clientPort, serverPort, [undefined, process.pid])).toBe(1);
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
