import { startEtcdCluster, useProcessSet } from '@skyroad/testkit';
import { runScenario } from '../src/harness/scenario';
import { summary } from './support';

// The checker must pass real etcd and fail the deliberately broken client-side variants.
describe('on real etcd', () => {
  jest.setTimeout(90_000);

  it('a correct cluster under a mix of faults passes', async () => {
    const r = await runScenario({ store: 'etcd', seed: 101, durationS: 5 });
    expect(r.operations).toBeGreaterThan(20);
    expect(r.violations).toEqual([]);
  });

  it('"linearizable" reads served serializably by a partitioned follower are flagged', async () => {
    const r = await runScenario({ store: 'etcd', seed: 102, durationS: 6, staleReads: true });
    const checkers = new Set(r.violations.map((v) => v.checker));
    expect([...checkers].some((c) => c === 'linearizable' || c === 'revision-real-time')).toBe(true);
  });

  it('a watch that loses responses is flagged unreliable', async () => {
    const r = await runScenario({ store: 'etcd', seed: 103, durationS: 4, tamperWatch: 'drop' });
    expect(r.violations.map((v) => v.checker)).toContain('reliable');
    expect(r.violations.every((v) => v.message.startsWith('watch 2 ') || v.checker === 'reliable')).toBe(
      true,
    );
  });

  it('a watch that reorders responses is flagged unordered', async () => {
    const r = await runScenario({ store: 'etcd', seed: 104, durationS: 4, tamperWatch: 'reorder' });
    expect(r.violations.map((v) => v.checker)).toContain('ordered');
    expect(summary(r)).toContain('watch 2 ');
  });
});

describe('on an etcd cluster started by the testkit', () => {
  jest.setTimeout(90_000);
  const processes = useProcessSet();

  it('passes the correct store and flags a watch that loses responses', async () => {
    const clean = await startEtcdCluster(processes, { size: 3, name: 'chaos-clean' });
    const ok = await runScenario({ store: 'etcd', seed: 105, durationS: 3, endpoints: clean.endpoints });
    expect(ok.operations).toBeGreaterThan(20);
    expect(ok.violations).toEqual([]);

    const other = await startEtcdCluster(processes, { size: 3, name: 'chaos-tamper' });
    const bad = await runScenario({
      store: 'etcd',
      seed: 106,
      durationS: 3,
      endpoints: other.endpoints,
      tamperWatch: 'drop',
    });
    expect(bad.violations.map((v) => v.checker)).toContain('reliable');
  });
});
