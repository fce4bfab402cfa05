/**
 * HTTP server hot-path overhead benchmark.
 *
 *   node --import tsx bench/http-overhead.ts [--rounds 5] [--duration 8] [--warmup 2] [--connections 50]
 *        [--variants bare,bare-export,otel-health,naive-otel,instrumentation-http]
 *        [--export-interval 1000] [--out bench/RESULTS.md]
 *
 * Each variant is the same hello-world `node:http` server (bench/server.ts) in its own child process;
 * autocannon runs in another child (bench/load.ts); exports go to a stand-in OTLP receiver in a third
 * (bench/otlp-sink.ts), all on 127.0.0.1. Variants are interleaved: every round runs each variant once,
 * in an order rotated per round, so slow drifts of a shared machine hit every variant alike. Ratios are
 * computed within a round and summarized by their median and range; server CPU per request is
 * Δ process.cpuUsage() (user + system, all threads) over the measured run divided by the requests
 * completed in it.
 *
 * This file runs the steps; the pieces are in bench/http-overhead/: options.ts (the command line),
 * harness.ts (the children, the runs and the rounds), statistics.ts (summaries per variant) and
 * report.ts (the text printed at the end and the markdown written with --out).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, killAllChildren } from '../support/children.js';
import { runRounds } from './http-overhead/harness.js';
import { parseOptions } from './http-overhead/options.js';
import { commandLine, markdown, printText } from './http-overhead/report.js';
import { summarize } from './http-overhead/statistics.js';
import { describeMachine } from './machine.js';

const SCRIPT = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(SCRIPT), '..');

async function main(): Promise<void> {
  installCleanup();
  const opts = parseOptions(process.argv.slice(2));
  const machine = describeMachine(REPO_ROOT);
  const perRun = opts.warmup + opts.duration + 3;
  console.log(
    `${opts.rounds} rounds × ${opts.variants.length} variants (${opts.variants.join(', ')}), about ${Math.ceil((opts.rounds * opts.variants.length * perRun) / 60)} min`,
  );

  const records = await runRounds(opts);
  machine.loadAvgEnd = os.loadavg();

  const summaries = summarize(records, opts.variants);
  const command = commandLine(SCRIPT);
  printText(command, opts, machine, records, summaries);
  if (opts.out) {
    const file = path.resolve(process.cwd(), opts.out);
    writeFileSync(file, markdown(command, opts, machine, records, summaries));
    console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  }
  if (records.every((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  killAllChildren();
  process.exit(1);
});
