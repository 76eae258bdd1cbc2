// The API suites run twice in `npm test`: on real etcd, then on skyroad-store
// (SKYROAD_TEST_REGISTRY_STORE=skyroad-store), since the registry must work on both unchanged.
// etcd-member-loss.spec.ts starts its own 3-member etcd cluster whatever the store, so it runs
// in the etcd pass only.
const onSkyroadStore = process.env['SKYROAD_TEST_REGISTRY_STORE'] === 'skyroad-store';
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: onSkyroadStore ? 'registry@skyroad-store' : 'registry',
  rootDir: __dirname,
  testPathIgnorePatterns: [
    ...preset.testPathIgnorePatterns,
    ...(onSkyroadStore ? ['etcd-member-loss\\.spec\\.ts'] : []),
  ],
};
