import { redisPing, redisUrl, startRedis, tcpReachable, useProcessSet } from '../src';

describe('Redis helpers (real redis-server)', () => {
  const processes = useProcessSet();

  it('starts a private redis-server that answers PING and is gone after SIGKILL', async () => {
    const redis = await startRedis(processes);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redisPing(redis.port)).toBe('PONG');
    await redis.process.kill('SIGKILL');
    expect(await tcpReachable(redis.port)).toBe(false);
    await expect(redisPing(redis.port)).rejects.toThrow();
  });

  it('finds the machine Redis that tools/ci/ensure-services.sh provides', async () => {
    const url = new URL(redisUrl());
    expect(await redisPing(Number(url.port || 6379), url.hostname)).toBe('PONG');
  });
});
