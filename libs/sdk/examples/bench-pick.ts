// Pick throughput of the policy evaluation alone (no I/O), per strategy, 20 instances, a
// 90/10 default route. Run: node -r ./test/support/register-ts.js examples/bench-pick.ts
import { PolicyRouter, seededRandom, STRATEGIES } from '@skyroad/governance';

const PICKS = 200_000;
const instances = Array.from({ length: 20 }, (_, i) => ({
  id: `i${String(i).padStart(2, '0')}`,
  weight: 100,
  metadata: { version: i % 2 ? 'v2' : 'v1' },
}));

for (const strategy of STRATEGIES) {
  const router = new PolicyRouter(
    {
      loadBalancer: { strategy, hashOn: 'key' },
      defaultRoute: {
        destinations: [
          { subset: { version: 'v1' }, weight: 90 },
          { subset: { version: 'v2' }, weight: 10 },
        ],
      },
    },
    { random: seededRandom(1) },
  );
  const started = process.hrtime.bigint();
  for (let k = 0; k < PICKS; k++) router.pick(instances, { hashKey: `user-${k & 1023}` });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${strategy.padEnd(22)} ${Math.round(PICKS / seconds).toLocaleString('en')} picks/s`);
}
