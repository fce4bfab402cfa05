/** The output of bench/http-overhead.ts: the text printed at the end and the markdown written with --out. */
import path from 'node:path';
import { machineLines, type Machine } from '../machine.js';
import { VARIANT_DESCRIPTIONS } from '../protocol.js';
import { formatSpread, type Spread } from '../stats.js';
import type { OkRun, RunRecord } from './harness.js';
import type { Options } from './options.js';
import { STARVED_CORES, TARGETS, type Summary } from './statistics.js';

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
/** The command that ran `script` (the benchmark's entry file), as typed. */
export function commandLine(script: string): string {
  return ['node', ...process.execArgv, path.relative(process.cwd(), script) || script, ...process.argv.slice(2)].join(' ');
}

export function printText(command: string, opts: Options, machine: Machine, records: RunRecord[], summaries: Summary[]): void {
  console.log('');
  console.log(`== HTTP server overhead: ${opts.rounds} rounds × ${opts.variants.length} variants, ${opts.duration} s measured after ${opts.warmup} s warm-up, ${opts.connections} connections, export interval ${opts.exportIntervalMs} ms`);
  console.log(`command: ${command}`);
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

export function markdown(command: string, opts: Options, machine: Machine, records: RunRecord[], summaries: Summary[]): string {
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
  out.push('```', command, '```', '');
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
