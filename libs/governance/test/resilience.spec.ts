import fc from 'fast-check';
import { CircuitBreaker, TokenBucket, type CircuitPermit, type CircuitState } from '../src/index';

class FakeClock {
  now = 1_000_000;
  read = (): number => this.now;
}

describe('CircuitBreaker', () => {
  const options = { errorRatePercent: 50, minRequests: 4, windowMs: 1000, openMs: 5000, halfOpenRequests: 2 };

  it('opens on the error rate, half-opens after openMs, closes after the trials succeed', () => {
    const clock = new FakeClock();
    const transitions: string[] = [];
    const cb = new CircuitBreaker(options, clock.read, (from, to) => transitions.push(`${from}->${to}`));
    cb.tryAcquire()!.success();
    cb.tryAcquire()!.failure();
    cb.tryAcquire()!.success();
    expect(cb.state).toBe('closed'); // below minRequests
    cb.tryAcquire()!.failure(); // 2 of 4 failed = 50%
    expect(cb.state).toBe('open');
    expect(cb.tryAcquire()).toBeNull();
    clock.now += 4999;
    expect(cb.state).toBe('open');
    clock.now += 1;
    expect(cb.state).toBe('half-open');
    const a = cb.tryAcquire()!;
    const b = cb.tryAcquire()!;
    expect(cb.tryAcquire()).toBeNull(); // only halfOpenRequests trials
    a.success();
    b.success();
    expect(cb.state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('reopens when a trial fails, and ignores answers from before it opened', () => {
    const clock = new FakeClock();
    const cb = new CircuitBreaker(options, clock.read);
    const late = cb.tryAcquire()!;
    for (let k = 0; k < 4; k++) cb.tryAcquire()!.failure();
    expect(cb.state).toBe('open');
    clock.now += 5000;
    const trial = cb.tryAcquire()!;
    late.success(); // from the closed era: no effect on the trial
    expect(cb.state).toBe('half-open');
    trial.failure();
    expect(cb.state).toBe('open');
  });

  it('forgets failures older than the window', () => {
    const clock = new FakeClock();
    const cb = new CircuitBreaker(options, clock.read);
    for (let k = 0; k < 3; k++) cb.tryAcquire()!.failure();
    clock.now += 2000;
    cb.tryAcquire()!.failure();
    expect(cb.windowCounts()).toEqual({ total: 1, failures: 1 });
    expect(cb.state).toBe('closed');
  });

  it('never lets more than halfOpenRequests through while half-open', () => {
    type Op =
      { kind: 'acquire' } | { kind: 'report'; index: number; ok: boolean } | { kind: 'tick'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ kind: 'acquire' as const }),
      fc.record({ kind: fc.constant('report' as const), index: fc.nat(), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(op, { minLength: 50, maxLength: 300, size: 'max' }),
        (halfOpenRequests, ops) => {
          const clock = new FakeClock();
          let admittedHalfOpen = 0;
          let state = 'closed' as CircuitState;
          const cb = new CircuitBreaker(
            { errorRatePercent: 30, minRequests: 2, windowMs: 1000, openMs: 2000, halfOpenRequests },
            clock.read,
            (_from, to) => {
              state = to;
              admittedHalfOpen = 0;
            },
          );
          const outstanding: CircuitPermit[] = [];
          for (const o of ops) {
            if (o.kind === 'tick') clock.now += o.ms;
            else if (o.kind === 'acquire') {
              const before = cb.state;
              const permit = cb.tryAcquire();
              if (before === 'open') expect(permit).toBeNull();
              if (permit) {
                outstanding.push(permit);
                if (state === 'half-open') admittedHalfOpen += 1;
              }
            } else if (outstanding.length > 0) {
              const [permit] = outstanding.splice(o.index % outstanding.length, 1);
              if (o.ok) permit.success();
              else permit.failure();
            }
            expect(admittedHalfOpen).toBeLessThanOrEqual(halfOpenRequests);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TokenBucket', () => {
  it('passes a burst, then the steady rate', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 5 }, clock.read);
    let passed = 0;
    for (let k = 0; k < 20; k++) if (bucket.tryTake()) passed += 1;
    expect(passed).toBe(5);
    expect(bucket.waitMs()).toBe(100);
    clock.now += 100;
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('never passes more than capacity + rate x time, and passes the rate under steady demand', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }),
        (rps, burst, gaps) => {
          const clock = new FakeClock();
          const bucket = new TokenBucket({ requestsPerSecond: rps, burst }, clock.read);
          const capacity = Math.max(1, burst);
          let passed = 0;
          let elapsed = 0;
          for (const gap of gaps) {
            clock.now += gap;
            elapsed += gap;
            const before = passed;
            while (bucket.tryTake()) passed += 1;
            expect(passed).toBeLessThanOrEqual(capacity + (rps * elapsed) / 1000 + 1e-9);
            // Demand is constant, so each step gets what refilled (up to capacity), but a fraction.
            expect(passed - before).toBeGreaterThanOrEqual(Math.min(capacity, (rps * gap) / 1000) - 1);
          }
        },
      ),
    );
  });
});
