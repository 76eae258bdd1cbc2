// Prints the workspace's test totals from .test-results/*.json (written by the jest reporter)
// as one line per project and the closing line `tests: N passed, N failed, N skipped`.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.test-results');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files.sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  console.log(`  ${r.project.padEnd(24)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  for (const suite of r.failedSuites) console.log(`    suite failed to run: ${suite}`);
  for (const test of r.failedTests ?? []) {
    console.log(`    failed: ${test.file} › ${test.name}`);
    for (const line of test.message.split('\n')) console.log(`      ${line}`);
  }
}
if (files.length === 0) console.log('  no test results were recorded');
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
