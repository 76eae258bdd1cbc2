// A service that registers itself with handleSignals: true and then just runs.
require('./register-ts.js');
const { Skyroad } = require('../../src/index.ts');

(async () => {
  const sky = await Skyroad.connect({ registry: process.env.REGISTRY_URL, handleSignals: true });
  const reg = await sky.register({ service: 'signals', host: '127.0.0.1', port: 9999, ttl: 60 });
  process.stdout.write(`registered ${reg.id}\n`);
  setInterval(() => undefined, 60_000);
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
