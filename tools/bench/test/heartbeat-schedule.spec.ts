import { HeartbeatSchedule, settleBacklog } from '../src/suites/registry/heartbeat-schedule';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A schedule of `instances` instances renewed every `periodMs`, whose server answers each
 * heartbeat after `answerMs`, all registered at once (as after a load).
 */
function scheduleOf(instances: number, periodMs: number, concurrency: number, answerMs: number) {
  const schedule = new HeartbeatSchedule(instances, periodMs, concurrency, async () => {
    await delay(answerMs);
    return 'renewed';
  });
  schedule.start();
  for (let k = 0; k < instances; k++) schedule.registered(k);
  return schedule;
}

describe('settleBacklog (the keepalive window waits for heartbeats to catch up)', () => {
  it('returns with nothing behind once a server that keeps up has sent what was due', async () => {
    // Capacity 8 in flight / 1 ms = thousands a second against 100 / 0.2 s = 500 a second.
    const schedule = scheduleOf(100, 200, 8, 1);
    try {
      await delay(250); // every first heartbeat has come due
      const settled = await settleBacklog(schedule, 50, 2_000, 10);
      expect(settled.behindMs).toBe(0);
      expect(schedule.overdueMs()).toBeLessThanOrEqual(50);
      expect(settled.waitedMs).toBeLessThan(2_000);
    } finally {
      await schedule.stop();
    }
  });

  it('says how far behind a server that cannot keep up still is at the deadline', async () => {
    // Capacity 2 in flight / 40 ms = 50 a second against 200 / 0.1 s = 2,000 a second.
    const schedule = scheduleOf(200, 100, 2, 40);
    try {
      await delay(150); // every first heartbeat has come due; a few were sent
      expect(schedule.overdueMs()).toBeGreaterThan(50);
      const settled = await settleBacklog(schedule, 50, 400, 10);
      expect(settled.waitedMs).toBeGreaterThanOrEqual(400);
      expect(settled.behindMs).toBeGreaterThan(50);
      const renewed = schedule.mark().renewed;
      // ~50/s for ~0.55 s, far from the 2,000/s the schedule asks: the backlog is real.
      expect(renewed).toBeLessThan(100);
    } finally {
      await schedule.stop();
    }
  });
});
