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
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Child, installCleanup, killAllChildren } from './children.js';
import { describeMachine, machineLines, type Machine } from './machine.js';
import {
  isVariant,
  VARIANT_DESCRIPTIONS,
  VARIANTS,
  type LoadMessage,
  type LoadResult,
  type ServerMessage,
  type SinkMessage,
  type SinkStats,
  type VariantName,
} from './protocol.js';
import { formatSpread, spread, type Spread } from './stats.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');

const TARGETS = { vsBareExport: 0.95, vsBare: 0.92, cpuDeltaUs: 3 } as const;

const READY_TIMEOUT_MS = 60_000;
const IPC_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 6_000;
const SETTLE_MS = 500;

// ---------------------------------------------------------------- options

interface Options {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  variants: VariantName[];
  exportIntervalMs: number;
  /** otel-health's checkInterval, seconds (default 1: fifteen times the package default, to be conservative). */
  checkInterval: number;
  out: string | undefined;
}

const USAGE = `usage: node --import tsx bench/http-overhead.ts [--rounds 5] [--duration 8] [--warmup 2]
       [--connections 50] [--variants ${VARIANTS.join(',')}] [--export-interval 1000] [--check-interval 1] [--out bench/RESULTS.md]`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'export-interval': { type: 'string', default: '1000' },
      'check-interval': { type: 'string', default: '1' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // Bounds keep one invocation bounded in time and in load.
  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${raw}"\n${USAGE}`);
    return n;
  };
  const variants = values.variants.split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of variants) if (!isVariant(v)) throw new Error(`unknown variant "${v}"; known: ${VARIANTS.join(', ')}`);
  if (new Set(variants).size !== variants.length) throw new Error('--variants lists a variant twice');
  if (variants.length === 0) throw new Error('--variants is empty');
  return {
    rounds: int('rounds', values.rounds, 1, 50),
    duration: int('duration', values.duration, 1, 120),
    warmup: int('warmup', values.warmup, 0, 30),
    connections: int('connections', values.connections, 1, 1000),
    variants: variants as VariantName[],
    exportIntervalMs: int('export-interval', values['export-interval'], 100, 60_000),
    checkInterval: int('check-interval', values['check-interval'], 1, 3600),
    out: values.out,
  };
}

// ---------------------------------------------------------------- runs

type RunRecord =
  | {
      ok: true;
      round: number;
      slot: number;
      variant: VariantName;
      load: LoadResult;
      reqPerSec: number;
      cpuUs: number;
      cpuUsPerReq: number;
      /** Server CPU time over wall time of the measured run (1 = one core busy). */
      cpuShare: number;
      sink: SinkStats;
      shutdownError: string | undefined;
    }
  | { ok: false; round: number; slot: number; variant: VariantName; error: string };

let nextId = 1;

class Harness {
  private constructor(
    private readonly opts: Options,
    private readonly sink: Child,
    private readonly sinkPort: number,
    private readonly load: Child,
  ) {}

  static async start(opts: Options): Promise<Harness> {
    const env = { ...process.env };
    const sink = new Child('otlp-sink', path.join(BENCH_DIR, 'otlp-sink.ts'), [], { cwd: REPO_ROOT, env });
    const load = new Child('load', path.join(BENCH_DIR, 'load.ts'), [], { cwd: REPO_ROOT, env });
    const [sinkPort] = await Promise.all([
      sink.waitFor((m) => ((m as SinkMessage).type === 'ready' ? (m as { port: number }).port : undefined), READY_TIMEOUT_MS, 'starting the OTLP sink'),
      load.waitFor((m) => ((m as LoadMessage).type === 'ready' ? true : undefined), READY_TIMEOUT_MS, 'starting the load generator'),
    ]);
    return new Harness(opts, sink, sinkPort, load);
  }

  async close(): Promise<void> {
    // Closing the IPC channel makes both exit on their own; kill whatever is left.
    this.sink.kill();
    this.load.kill();
  }

  private async sinkStats(): Promise<SinkStats> {
    const id = nextId++;
    this.sink.send({ type: 'stats', id });
    return this.sink.waitFor(
      (m) => {
        const msg = m as SinkMessage;
        return msg.type === 'stats' && msg.id === id ? msg.stats : undefined;
      },
      IPC_TIMEOUT_MS,
      'asking the sink for its counts',
    );
  }

  private async runLoad(port: number, seconds: number): Promise<LoadResult> {
    const id = nextId++;
    this.load.send({ type: 'run', id, url: `http://127.0.0.1:${port}/`, connections: this.opts.connections, duration: seconds });
    return this.load.waitFor(
      (m) => {
        const msg = m as LoadMessage;
        if (msg.type === 'result' && msg.id === id) return msg.result;
        if (msg.type === 'error' && msg.id === id) throw new Error(`autocannon failed: ${msg.error}`);
        return undefined;
      },
      (seconds + 30) * 1000,
      'running autocannon',
    );
  }

  private async serverCpu(server: Child): Promise<number> {
    const id = nextId++;
    server.send({ type: 'cpu', id });
    return server.waitFor(
      (m) => {
        const msg = m as ServerMessage;
        return msg.type === 'cpu' && msg.id === id ? msg.user + msg.system : undefined;
      },
      IPC_TIMEOUT_MS,
      'asking the server for its CPU usage',
    );
  }

  async runOne(variant: VariantName, round: number, slot: number): Promise<RunRecord> {
    const base = { round, slot, variant };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${this.sinkPort}`,
      OTEL_METRIC_EXPORT_INTERVAL: String(this.opts.exportIntervalMs),
      BENCH_EXPORT_INTERVAL_MS: String(this.opts.exportIntervalMs),
      BENCH_CHECK_INTERVAL_S: String(this.opts.checkInterval),
      BENCH_VARIANT: variant,
    };
    if (variant === 'instrumentation-http') {
      env.OTEL_TRACES_EXPORTER = 'none';
      env.OTEL_LOGS_EXPORTER = 'none';
    }
    const sinkBefore = await this.sinkStats();
    const server = new Child(`server ${variant}`, path.join(BENCH_DIR, 'server.ts'), [variant], { cwd: REPO_ROOT, env });
    try {
      const port = await server.waitFor(
        (m) => {
          const msg = m as ServerMessage;
          if (msg.type === 'ready') return msg.port;
          if (msg.type === 'failed') throw new Error(msg.error);
          return undefined;
        },
        READY_TIMEOUT_MS,
        `starting ${variant}`,
      );
      if (this.opts.warmup > 0) await this.runLoad(port, this.opts.warmup);
      const cpuStart = await this.serverCpu(server);
      const load = await this.runLoad(port, this.opts.duration);
      const cpuEnd = await this.serverCpu(server);
      if (load.requests === 0) throw new Error('no request completed in the measured run');

      server.send({ type: 'stop' });
      let shutdownError: string | undefined;
      try {
        const stopped = await server.waitFor(
          (m) => ((m as ServerMessage).type === 'stopped' ? (m as { shutdownError?: string }) : undefined),
          STOP_TIMEOUT_MS,
          'stopping the server',
        );
        shutdownError = stopped.shutdownError;
      } catch (err) {
        shutdownError = err instanceof Error ? err.message : String(err);
      }
      await server.stop(STOP_TIMEOUT_MS);
      const sinkAfter = await this.sinkStats();

      const cpuUs = cpuEnd - cpuStart;
      return {
        ok: true,
        ...base,
        load,
        reqPerSec: load.requests / load.duration,
        cpuUs,
        cpuUsPerReq: cpuUs / load.requests,
        cpuShare: cpuUs / 1e6 / load.duration,
        sink: diffSink(sinkBefore, sinkAfter),
        shutdownError,
      };
    } catch (err) {
      // A shared child dying is fatal; a server that fails only loses this run.
      if (this.load.exited || this.sink.exited) throw err;
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, ...base, error: server.output() && !message.includes(server.output()) ? `${message}\n${server.output()}` : message };
    } finally {
      server.kill();
    }
  }
}

function diffSink(before: SinkStats, after: SinkStats): SinkStats {
  const paths: Record<string, number> = {};
  for (const [p, n] of Object.entries(after.paths)) {
    const d = n - (before.paths[p] ?? 0);
    if (d > 0) paths[p] = d;
  }
  return {
    posts: after.posts - before.posts,
    bytes: after.bytes - before.bytes,
    withHttpDuration: after.withHttpDuration - before.withHttpDuration,
    paths,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

// ---------------------------------------------------------------- summary

interface Summary {
  variant: VariantName;
  okRuns: number;
  runs: number;
  reqPerSec: Spread;
  vsBare: Spread;
  vsBareExport: Spread;
  cpuUsPerReq: Spread;
  cpuDeltaVsBare: Spread;
  cpuShare: Spread;
  errors: number;
  exportsPerRun: Spread;
  bytesPerExport: number;
  withHttpDurationPerRun: Spread;
  failures: string[];
}

type OkRun = Extract<RunRecord, { ok: true }>;

function summarize(records: RunRecord[], variants: VariantName[]): Summary[] {
  const ok = records.filter((r): r is OkRun => r.ok);
  const inRound = (round: number, variant: VariantName): OkRun | undefined => ok.find((r) => r.round === round && r.variant === variant);
  return variants.map((variant) => {
    const mine = ok.filter((r) => r.variant === variant);
    const ratios = (baseline: VariantName): number[] =>
      mine.flatMap((r) => {
        const b = inRound(r.round, baseline);
        return b ? [r.reqPerSec / b.reqPerSec] : [];
      });
    const cpuDeltas = mine.flatMap((r) => {
      const b = inRound(r.round, 'bare');
      return b ? [r.cpuUsPerReq - b.cpuUsPerReq] : [];
    });
    const posts = mine.reduce((s, r) => s + r.sink.posts, 0);
    const bytes = mine.reduce((s, r) => s + r.sink.bytes, 0);
    return {
      variant,
      okRuns: mine.length,
      runs: records.filter((r) => r.variant === variant).length,
      reqPerSec: spread(mine.map((r) => r.reqPerSec)),
      vsBare: spread(ratios('bare')),
      vsBareExport: spread(ratios('bare-export')),
      cpuUsPerReq: spread(mine.map((r) => r.cpuUsPerReq)),
      cpuDeltaVsBare: spread(cpuDeltas),
      cpuShare: spread(mine.map((r) => r.cpuShare)),
      errors: mine.reduce((s, r) => s + r.load.errors + r.load.timeouts + r.load.non2xx, 0),
      exportsPerRun: spread(mine.map((r) => r.sink.posts)),
      bytesPerExport: posts ? bytes / posts : 0,
      withHttpDurationPerRun: spread(mine.map((r) => r.sink.withHttpDuration)),
      failures: records.filter((r): r is Extract<RunRecord, { ok: false }> => !r.ok && r.variant === variant).map((r) => r.error),
    };
  });
}

interface Column {
  head: string;
  cell: (s: Summary) => string;
}

const COLUMNS: Column[] = [
  { head: 'variant', cell: (s) => s.variant },
  { head: 'runs ok', cell: (s) => `${s.okRuns}/${s.runs}` },
  { head: 'req/s median (min–max)', cell: (s) => formatSpread(s.reqPerSec, 0) },
  { head: 'vs bare', cell: (s) => formatSpread(s.vsBare, 3) },
  { head: 'vs bare-export', cell: (s) => formatSpread(s.vsBareExport, 3) },
  { head: 'server CPU µs/req', cell: (s) => formatSpread(s.cpuUsPerReq, 2) },
  { head: 'Δ CPU µs/req vs bare', cell: (s) => formatSpread(s.cpuDeltaVsBare, 2, true) },
  { head: 'server CPU (cores)', cell: (s) => formatSpread(s.cpuShare, 2) },
  { head: 'errors', cell: (s) => String(s.errors) },
  {
    head: 'exports/run, mean size',
    cell: (s) => (s.okRuns ? `${formatSpread(s.exportsPerRun, 0)}${s.bytesPerExport ? `, ${Math.round(s.bytesPerExport)} B` : ''}` : 'n/a'),
  },
];

function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [head!, head!.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function summaryRows(summaries: Summary[]): string[][] {
  return [COLUMNS.map((c) => c.head), ...summaries.map((s) => COLUMNS.map((c) => c.cell(s)))];
}

function roundRows(records: RunRecord[]): string[][] {
  const head = [
    'round',
    'slot',
    'variant',
    'req/s',
    'server CPU µs/req',
    'server CPU (cores)',
    'load CPU (cores)',
    'p50 / p99 ms',
    'errors',
    'exports (with duration metric)',
  ];
  const rows = records.map((r) =>
    r.ok
      ? [
          String(r.round + 1),
          String(r.slot + 1),
          r.variant,
          r.reqPerSec.toFixed(0),
          r.cpuUsPerReq.toFixed(2),
          r.cpuShare.toFixed(2),
          (r.load.loadCpuUs / 1e6 / r.load.duration).toFixed(2),
          `${r.load.latencyP50Ms} / ${r.load.latencyP99Ms}`,
          String(r.load.errors + r.load.timeouts + r.load.non2xx),
          `${r.sink.posts} (${r.sink.withHttpDuration})`,
        ]
      : [String(r.round + 1), String(r.slot + 1), r.variant, 'failed', '', '', '', '', '', ''],
  );
  return [head, ...rows];
}

interface Verdict {
  line: string;
  pass: boolean | undefined;
}

function targetVerdicts(summaries: Summary[]): Verdict[] {
  const oh = summaries.find((s) => s.variant === 'otel-health');
  if (!oh) return [];
  const check = (name: string, value: Spread, ok: (v: number) => boolean, target: string, digits: number, signed = false): Verdict => {
    if (value.n === 0) return { line: `${name}: not measured (target ${target})`, pass: undefined };
    const pass = ok(value.median);
    return { line: `${name}: ${formatSpread(value, digits, signed)} — target ${target}: ${pass ? 'met' : 'NOT met'} (by the median)`, pass };
  };
  const exportsLine: Verdict =
    oh.okRuns === 0
      ? { line: 'otel-health exports: not measured', pass: undefined }
      : oh.exportsPerRun.median > 0 && oh.withHttpDurationPerRun.median > 0
        ? { line: `otel-health exports reached the sink: ${formatSpread(oh.exportsPerRun, 0)} per run, carrying http.server.request.duration`, pass: true }
        : {
            line:
              `WARNING: otel-health's exports per run at the sink: ${formatSpread(oh.exportsPerRun, 0)}, ` +
              `${formatSpread(oh.withHttpDurationPerRun, 0)} with http.server.request.duration: its OTLP metrics export was not ` +
              '(fully) active, so this is not the configuration the targets are about',
            pass: false,
          };
  return [
    exportsLine,
    check('otel-health vs bare-export', oh.vsBareExport, (v) => v >= TARGETS.vsBareExport, `≥ ${TARGETS.vsBareExport}x`, 3),
    check('otel-health vs bare', oh.vsBare, (v) => v >= TARGETS.vsBare, `≥ ${TARGETS.vsBare}x`, 3),
    check('otel-health server CPU vs bare', oh.cpuDeltaVsBare, (v) => v <= TARGETS.cpuDeltaUs, `≤ +${TARGETS.cpuDeltaUs} µs/request`, 2, true),
  ];
}

/** Below this share of a core, a hello-world server under 50 connections was not CPU-bound: something else ran. */
const STARVED_CORES = 0.85;

/**
 * How much the same variant moved between rounds ((max − min) / median of its req/s), and which runs
 * look starved by other load on the machine (the server got less than STARVED_CORES of a core).
 */
function noiseLines(summaries: Summary[], records: RunRecord[]): string[] {
  const lines = summaries
    .filter((s) => s.reqPerSec.n > 1)
    .map(
      (s) =>
        `${s.variant}: req/s spread across rounds ${(((s.reqPerSec.max - s.reqPerSec.min) / s.reqPerSec.median) * 100).toFixed(1)}% ` +
        `of the median; server CPU µs/req spread ${(((s.cpuUsPerReq.max - s.cpuUsPerReq.min) / s.cpuUsPerReq.median) * 100).toFixed(1)}%`,
    );
  const starved = records.filter((r): r is OkRun => r.ok && r.cpuShare < STARVED_CORES);
  if (starved.length) {
    lines.push(
      `runs where the server got less than ${STARVED_CORES} of a core (other load on the machine, or a load generator short ` +
        `of CPU, likely cut their req/s; CPU µs/req is less affected): ${starved.map((r) => `round ${r.round + 1} ${r.variant} (${r.cpuShare.toFixed(3)})`).join(', ')}`,
    );
  }
  return lines;
}

function failureLines(summaries: Summary[]): string[] {
  return summaries.flatMap((s) => {
    if (s.failures.length === 0) return [];
    const distinct = [...new Set(s.failures)];
    return distinct.map((e) => `${s.variant} failed in ${s.failures.filter((f) => f === e).length} of ${s.runs} runs: ${firstLines(e, 6)}`);
  });
}

/** The message lines of an error, without its stack frames, at most `n` of them. */
function firstLines(text: string, n: number): string {
  const lines = text.split('\n').filter((l) => !/^\s+at /.test(l));
  return lines.length > n ? `${lines.slice(0, n).join('\n')}\n  …` : lines.join('\n');
}

function commandLine(): string {
  const script = path.relative(process.cwd(), fileURLToPath(import.meta.url)) || fileURLToPath(import.meta.url);
  return ['node', ...process.execArgv, script, ...process.argv.slice(2)].join(' ');
}

function printText(opts: Options, machine: Machine, records: RunRecord[], summaries: Summary[]): void {
  console.log('');
  console.log(`== HTTP server overhead: ${opts.rounds} rounds × ${opts.variants.length} variants, ${opts.duration} s measured after ${opts.warmup} s warm-up, ${opts.connections} connections, export interval ${opts.exportIntervalMs} ms`);
  console.log(`command: ${commandLine()}`);
  for (const l of machineLines(machine)) console.log(l);
  console.log('');
  console.log(textTable(summaryRows(summaries)));
  console.log('');
  console.log('Ratios and Δ CPU are computed within each round, then summarized: median (min–max).');
  for (const v of targetVerdicts(summaries)) console.log(v.line);
  for (const l of noiseLines(summaries, records)) console.log(l);
  for (const l of failureLines(summaries)) console.log(l);
  console.log('');
  console.log('per round:');
  console.log(textTable(roundRows(records)));
}

function markdown(opts: Options, machine: Machine, records: RunRecord[], summaries: Summary[]): string {
  const out: string[] = [];
  out.push('# HTTP server hot-path overhead', '');
  out.push(
    'Generated by `bench/http-overhead.ts`. A hello-world `node:http` server (`res.end(\'hello\')`) runs in a child ' +
      'process per variant; autocannon runs in another child process; exports go to a stand-in OTLP/HTTP receiver ' +
      '(answers 200 `{}`) in a third; all on 127.0.0.1. Variants are interleaved: each round runs every variant once, ' +
      'in an order rotated per round. Ratios and CPU deltas are computed within a round and reported as the median ' +
      '(min–max) over rounds. Server CPU per request is Δ `process.cpuUsage()` (user + system, all threads of the ' +
      'server process) over the measured run divided by the requests completed in it. This machine is shared and ' +
      'noisy: read the ratios, not the absolute numbers.',
    '',
  );
  out.push('## Command and machine', '');
  out.push('```', commandLine(), '```', '');
  out.push(
    `${opts.rounds} rounds × ${opts.variants.length} variants; ${opts.duration} s measured after ${opts.warmup} s warm-up ` +
      `(not counted) per run; ${opts.connections} connections, pipelining 1; export interval ${opts.exportIntervalMs} ms ` +
      `for every exporting variant; otel-health checkInterval ${opts.checkInterval} s.`,
    '',
  );
  for (const l of machineLines(machine)) out.push(`- ${l}`);
  out.push('', '## Variants', '');
  for (const v of opts.variants) out.push(`- \`${v}\`: ${VARIANT_DESCRIPTIONS[v]}`);
  out.push('', '## Targets', '');
  out.push(
    `With otel-health loaded (health reader and OTLP export both active): at least ${TARGETS.vsBareExport}x the ` +
      `throughput of \`bare-export\` (a bare server making the same outbound export requests), at least ${TARGETS.vsBare}x ` +
      `of \`bare\`, and at most +${TARGETS.cpuDeltaUs} µs server CPU per request over \`bare\`.`,
    '',
  );
  const verdicts = targetVerdicts(summaries);
  for (const v of verdicts) out.push(`- ${v.line}`);
  if (verdicts.length) out.push('');
  out.push('## Results', '');
  out.push(markdownTable(summaryRows(summaries)), '');
  out.push(
    '`server CPU (cores)`: server CPU time over wall time of the measured run (1.00 = one core busy; a ' +
      'hello-world server under this load is CPU-bound, so well below 1 means it was starved). `load CPU (cores)`: the same ' +
      'for the autocannon process. ' +
      '`exports/run`: POSTs the sink received during the server process\'s life (warm-up, measured run and shutdown), with ' +
      'their mean size; per round, in parentheses, how many of them carried `http.server.request.duration` ' +
      '(`bare-export`\'s synthetic body does too).',
    '',
  );
  const noise = noiseLines(summaries, records);
  if (noise.length) {
    out.push('Noise between rounds:', '');
    for (const l of noise) out.push(`- ${l}`);
    out.push('');
  }
  const failures = failureLines(summaries);
  if (failures.length) {
    out.push('Failures:', '');
    for (const l of failures) out.push('```', l, '```');
    out.push('');
  }
  out.push('## Per round', '');
  out.push(markdownTable(roundRows(records)), '');
  return out.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  installCleanup();
  const opts = parseOptions(process.argv.slice(2));
  const machine = describeMachine(REPO_ROOT);
  const perRun = opts.warmup + opts.duration + 3;
  console.log(
    `${opts.rounds} rounds × ${opts.variants.length} variants (${opts.variants.join(', ')}), about ${Math.ceil((opts.rounds * opts.variants.length * perRun) / 60)} min`,
  );

  const harness = await Harness.start(opts);
  const records: RunRecord[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = rotate(opts.variants, round);
      for (const [slot, variant] of order.entries()) {
        const record = await harness.runOne(variant, round, slot);
        records.push(record);
        const tag = `round ${round + 1}/${opts.rounds} ${variant.padEnd(20)}`;
        if (record.ok) {
          console.log(
            `${tag} ${record.reqPerSec.toFixed(0).padStart(7)} req/s  ${record.cpuUsPerReq.toFixed(2).padStart(6)} µs CPU/req  ` +
              `${record.load.errors + record.load.timeouts + record.load.non2xx} errors  ${record.sink.posts} exports` +
              (record.shutdownError ? `  (shutdown: ${record.shutdownError.split('\n')[0]})` : ''),
          );
        } else {
          console.log(`${tag} FAILED: ${record.error.split('\n')[0]}`);
        }
        await sleep(SETTLE_MS);
      }
    }
  } finally {
    await harness.close();
  }
  machine.loadAvgEnd = os.loadavg();

  const summaries = summarize(records, opts.variants);
  printText(opts, machine, records, summaries);
  if (opts.out) {
    const file = path.resolve(process.cwd(), opts.out);
    writeFileSync(file, markdown(opts, machine, records, summaries));
    console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  }
  if (records.every((r) => !r.ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  killAllChildren();
  process.exit(1);
});
