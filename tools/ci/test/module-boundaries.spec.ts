import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '..', '..', '..');

/**
 * Lints a one-line import as if it were written at `filePath` (a path inside a project), so
 * the check needs no fixture files that would themselves break `npm run lint`.
 */
function boundaryErrors(filePath: string, importFrom: string): string[] {
  const code = `import * as dep from '${importFrom}';\nexport const used = dep;\n`;
  // The real ESLint CLI with the workspace's config, reading the code from stdin.
  const run = spawnSync(
    join(workspaceRoot, 'node_modules/.bin/eslint'),
    ['--stdin', '--stdin-filename', join(workspaceRoot, filePath), '--format', 'json'],
    { cwd: workspaceRoot, input: code, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

// Each case: where the import is written, what it imports, and whether the rules refuse it.
const cases: Array<{ from: string; imports: string; refused: boolean }> = [
  // Test helpers are for tests only.
  { from: 'tools/ci/src/boundary-fixture.ts', imports: '@skyroad/testkit', refused: true },
  { from: 'tools/ci/test/boundary-fixture.spec.ts', imports: '@skyroad/testkit', refused: false },
  // The Raft core depends on nothing of ours; the engine only on the core.
  { from: 'libs/raft/src/boundary-fixture.ts', imports: '@skyroad/governance', refused: true },
  { from: 'libs/store-engine/src/boundary-fixture.ts', imports: '@skyroad/raft', refused: false },
  { from: 'libs/store-engine/src/boundary-fixture.ts', imports: '@skyroad/sdk', refused: true },
  // The registry speaks to its store only through the etcd v3 API, never through store code.
  { from: 'libs/registry-core/src/boundary-fixture.ts', imports: '@skyroad/store-engine', refused: true },
  { from: 'libs/registry-core/src/boundary-fixture.ts', imports: '@skyroad/governance', refused: false },
  // The SDK depends on the policy model only.
  { from: 'libs/sdk/src/boundary-fixture.ts', imports: '@skyroad/governance', refused: false },
  { from: 'libs/sdk/src/boundary-fixture.ts', imports: '@skyroad/registry-core', refused: true },
  // Utilities serve the testkit and tools, and depend on nothing.
  { from: 'libs/testkit/src/boundary-fixture.ts', imports: '@skyroad/ports', refused: false },
  { from: 'libs/ports/src/boundary-fixture.ts', imports: '@skyroad/governance', refused: true },
];

describe('module boundaries (ARCHITECTURE.md dependency direction)', () => {
  it.each(cases)('$from importing $imports: refused=$refused', ({ from, imports, refused }) => {
    const errors = boundaryErrors(from, imports);
    if (refused) {
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.join('\n')).toMatch(/tagged with/);
    } else {
      expect(errors).toEqual([]);
    }
  });
});
