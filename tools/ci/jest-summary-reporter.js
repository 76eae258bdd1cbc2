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
    fs.writeFileSync(
      path.join(RESULTS_DIR, `${project}.json`),
      JSON.stringify({
        project,
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        suites: results.numTotalTestSuites,
        failedSuites,
      }),
    );
  }
}

module.exports = JestSummaryReporter;
