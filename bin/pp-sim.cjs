#!/usr/bin/env node
'use strict';
// `pp-sim --version` answers without loading the simulator; everything else runs the CLI bundle (scripts/build.mjs).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  process.exitCode = require('../dist/cli/load.cjs').main(args);
}
