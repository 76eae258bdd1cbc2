// Writes each jest run's totals to .test-results/<project>.json at the workspace root, so that
// tools/ci/test.sh can print one summary line for the whole workspace after Nx runs every project.
const fs = require('node:fs');
const path = require('node:path');

const RESULTS_DIR = path.join(__dirname, '..', '..', '.test-results');

class JestSummaryReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(contexts, results) {
    const [context] = contexts;
    const project = (context && context.config.displayName && context.config.displayName.name) || 'unknown';
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const failedSuites = results.testResults.filter((r) => r.testExecError).map((r) => r.testFilePath);
    // The names and first lines of failures, so that the summary at the end of a long CI log
    // (often the only part anyone sees) says which test failed and why.
    const failedTests = results.testResults.flatMap((suite) =>
      suite.testResults
        .filter((t) => t.status === 'failed')
        .map((t) => ({
          file: path.relative(process.cwd(), suite.testFilePath),
          name: t.fullName,
          message: firstLines(stripAnsi(t.failureMessages.join('\n')), 6),
        })),
    );
    fs.writeFileSync(
      path.join(RESULTS_DIR, `${project}.json`),
      JSON.stringify({
        project,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        suites: results.numTotalTestSuites,
        failedSuites,
        failedTests,
      }),
    );
  }
}

function stripAnsi(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLines(text, count) {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(0, count)
    .join('\n');
}

module.exports = JestSummaryReporter;
