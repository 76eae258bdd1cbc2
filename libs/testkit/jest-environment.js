// A node test environment that remembers whether any test in the file failed, so that
// testkit's process groups can print the logs of the processes they started only when
// they are needed to understand a failure.
const { TestEnvironment } = require('jest-environment-node');

class SkyroadTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__skyroadFailures = [];
  }

  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      const name = event.test ? event.test.name : event.hook ? `${event.hook.type} hook` : 'unknown';
      this.global.__skyroadFailures.push(name);
    }
  }
}

module.exports = SkyroadTestEnvironment;
