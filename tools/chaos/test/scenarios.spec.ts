import { FAULT_KINDS } from '../src/harness/faults';
import { runScenario } from '../src/harness/scenario';
import { scenarioStore, summary } from './support';

const SCENARIO_SECONDS = 4;

const store = scenarioStore();

// One short scenario per fault kind against a real 3-member cluster; the history must check clean.
describe(`fault scenarios on ${store}`, () => {
  jest.setTimeout(120_000);

  it.each(FAULT_KINDS.map((fault, i) => [fault, 200 + i] as const))('%s', async (fault, seed) => {
    const r = await runScenario({ store, seed, durationS: SCENARIO_SECONDS, fault });
    expect(r.operations).toBeGreaterThan(10);
    if (fault === 'disk-full') expect(r.noSpaceRefusals).toBeGreaterThan(0);
    if (r.violations.length > 0) throw new Error(`seed ${seed} --fault ${fault}: ${summary(r)}`);
  });

  // The first store bug this harness found: a member applied entries while Defragment was
  // swapping its backend file, got BackendBusyError and exited. Seed 11 reproduced it.
  it('keeps every member up through defragmentation under write traffic (regression, seed 11)', async () => {
    const r = await runScenario({
      store,
      seed: 11,
      durationS: 2 * SCENARIO_SECONDS,
      fault: 'compact-defrag',
    });
    expect(r.operations).toBeGreaterThan(10);
    if (r.violations.length > 0) throw new Error(`seed 11 --fault compact-defrag: ${summary(r)}`);
  });
});
