#!/usr/bin/env node
// The installed command: the compiled entry point does the work.
require('../dist/main.js');
