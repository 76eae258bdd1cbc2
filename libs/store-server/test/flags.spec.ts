import {
  DEFAULT_ELECTION_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_REQUEST_BYTES,
  FlagError,
  parseFlags,
} from '../src/config/flags';

describe('skyroad-store flags', () => {
  it("uses etcd's defaults", () => {
    const c = parseFlags([]);
    expect(c.name).toBe('default');
    expect(c.dataDir).toBe('default.skyroad');
    expect(c.listenClientUrls).toEqual(['http://127.0.0.1:2379']);
    expect(c.advertiseClientUrls).toEqual(['http://127.0.0.1:2379']);
    expect(c.initialAdvertisePeerUrls).toEqual(['http://127.0.0.1:2380']);
    expect([...c.initialCluster]).toEqual([['default', ['http://127.0.0.1:2380']]]);
    expect(c.heartbeatIntervalMs).toBe(DEFAULT_HEARTBEAT_INTERVAL_MS);
    expect(c.electionTimeoutMs).toBe(DEFAULT_ELECTION_TIMEOUT_MS);
    expect(c.maxRequestBytes).toBe(DEFAULT_MAX_REQUEST_BYTES);
    expect(c.initialClusterState).toBe('new');
  });

  it('takes --flag value, --flag=value and SKYROAD_STORE_* variables, the command line winning', () => {
    const c = parseFlags(
      [
        '--name',
        'n1',
        '--initial-cluster=n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380',
        '--client-cert-auth',
      ],
      {
        SKYROAD_STORE_HEARTBEAT_INTERVAL: '50',
        SKYROAD_STORE_NAME: 'ignored',
        SKYROAD_STORE_ELECTION_TIMEOUT: '500',
      },
    );
    expect(c.name).toBe('n1');
    expect(c.heartbeatIntervalMs).toBe(50);
    expect(c.electionTimeoutMs).toBe(500);
    expect(c.clientTls.clientCertAuth).toBe(true);
    expect(c.initialCluster.get('n2')).toEqual(['http://10.0.0.2:2380']);
  });

  it.each([
    [['--bogus', '1'], 'unknown flag --bogus'],
    [['--name'], 'flag --name needs a value'],
    [['--heartbeat-interval', 'fast'], 'invalid value "fast" for flag --heartbeat-interval'],
    [['--initial-cluster-state', 'maybe'], 'expected one of new, existing'],
    [['--listen-client-urls', 'tcp://x:1'], 'scheme must be http or https'],
    [['--name', 'a', '--initial-cluster', 'b=http://h:1'], 'no member named "a"'],
    [['--election-timeout', '200'], 'at least 5 times --heartbeat-interval'],
    [['--auto-compaction-retention', 'soon'], 'invalid value "soon" for flag --auto-compaction-retention'],
    [
      ['--auto-compaction-mode=revision', '--auto-compaction-retention=1h'],
      'for flag --auto-compaction-retention',
    ],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it('refuses unknown SKYROAD_STORE_ variables', () => {
    expect(() => parseFlags([], { SKYROAD_STORE_NOPE: '1' })).toThrow(
      'unknown environment variable SKYROAD_STORE_NOPE',
    );
  });
});
