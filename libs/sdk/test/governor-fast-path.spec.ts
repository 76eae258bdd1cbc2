// ServiceGovernor.pick skips its per-instance breaker checks while every circuit is closed
// (issue 10); these pin that an opening circuit still takes its instance out, and that the
// instance comes back once the circuit closes.
import { ServiceGovernor } from '../src/governor/service-governor';
import type { Instance } from '../src/types';

const instance = (id: string): Instance => ({
  id,
  namespace: 'default',
  service: 'orders',
  host: '127.0.0.1',
  port: 1,
  weight: 100,
  enabled: true,
  healthy: true,
  metadata: {},
  ttl: 10,
  revision: 1,
});

describe('ServiceGovernor.pick with circuit breakers', () => {
  it('skips an instance while its circuit is open and takes it back once closed', () => {
    let now = 0;
    const list = [instance('a'), instance('b')];
    const governor = new ServiceGovernor(
      'orders',
      { circuitBreaker: { minRequests: 2, errorRatePercent: 50, openMs: 1_000, halfOpenRequests: 1 } },
      () => 0.5,
      () => now,
    );
    const picks = (n: number): string => Array.from({ length: n }, () => governor.pick(list, {}).id).join('');

    expect(picks(4)).toBe('abab');
    governor.acquire('a')!.failure();
    governor.acquire('a')!.failure();
    expect(governor.circuitState('a')).toBe('open');
    expect(picks(4)).toBe('bbbb');

    now = 1_500;
    expect(governor.circuitState('a')).toBe('half-open');
    governor.acquire('a')!.success();
    expect(governor.circuitState('a')).toBe('closed');
    expect(picks(4)).toBe('abab');
  });

  it('forgets a departed instance whose circuit was open', () => {
    const list = [instance('a'), instance('b')];
    const governor = new ServiceGovernor('orders', { circuitBreaker: { minRequests: 1 } }, () => 0.5);
    governor.acquire('a')!.failure();
    expect(governor.circuitState('a')).toBe('open');
    governor.retain(new Set(['b']));
    // A new breaker for "a" starts closed, so "a" is picked again.
    expect(new Set(Array.from({ length: 4 }, () => governor.pick(list, {}).id))).toEqual(new Set(['a', 'b']));
  });
});
