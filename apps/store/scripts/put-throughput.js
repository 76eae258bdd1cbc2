#!/usr/bin/env node
// Measures sequentially-acknowledged put throughput against any etcd v3 endpoints (ours or
// real etcd): node apps/store/scripts/put-throughput.js <endpoints,comma,separated> [puts] [concurrency]
const { Etcd3 } = require('etcd3');

const DEFAULT_PUTS = 2000;
const DEFAULT_CONCURRENCY = 16;
const VALUE_BYTES = 256;

async function main() {
  const [endpoints, puts = DEFAULT_PUTS, concurrency = DEFAULT_CONCURRENCY] = process.argv.slice(2);
  if (!endpoints) throw new Error('usage: put-throughput.js <endpoints> [puts] [concurrency]');
  const client = new Etcd3({ hosts: endpoints.split(',') });
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Number(concurrency) }, async () => {
      while (next < Number(puts)) {
        const i = next++;
        const t = process.hrtime.bigint();
        await client.put(`bench/${i}`).value(value);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(
    JSON.stringify({
      puts: Number(puts),
      concurrency: Number(concurrency),
      opsPerSecond: Math.round(Number(puts) / seconds),
      p50ms: pct(0.5),
      p99ms: pct(0.99),
    }),
  );
  client.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
