#!/usr/bin/env node
// The `otel-health` command (package.json "bin"). No top-level await: this is also built as CommonJS.
import { runCli } from './rules/index.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`otel-health: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
