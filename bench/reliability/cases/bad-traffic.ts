/**
 * Bad traffic, long version (issue 6): the mix of test/system/bad-traffic.test.ts — distinct random
 * paths and query strings, every method llhttp accepts and made-up ones it rejects, CONNECT,
 * oversized and malformed headers, aborted, half-open, truncated and idle connections — sent by
 * this process to a server child (node:http with setRoute templates and an Express app, otel-health's
 * instrumentation on, started with --expose-gc) in chunks of `--chunk` operations, 120,000 in all.
 *
 *   node --import tsx bench/reliability/cases/bad-traffic.ts [--total N] [--chunk N] [--seed N] [--sample-ms MS] [--off]
 *
 * `--off`: the same run with the instrumentation off (the comparison figure; no metrics checks).
 *
 * After each chunk, once every connection closed: the child's metrics are checked (series at or
 * below the cap, overflow only at the cap, active requests and open connections 0, only known
 * methods or _OTHER, only registered route templates, no internal error, nothing uncaught), a
 * normal request must be answered on both servers, and heap and RSS are read after gc(). The
 * child also samples memory (no gc) every `--sample-ms` throughout.
 *
 * Asserted (exit 1 otherwise): every check above after every chunk; every well-formed request
 * answered; heap after gc grows less than HEAP_GROWTH_BOUND and RSS less than RSS_GROWTH_BOUND
 * from the end of the warm-up chunks to the end. Prints a markdown section on stdout, progress on
 * stderr. RELIABILITY_SHORT=1 (run.ts --short): 20,000 operations in chunks of 5,000.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { installCleanup } from '../../../support/children.js';
import { request } from '../../../support/http.js';
import {
  ACTIVE,
  DURATION,
  MiB,
  TrafficServer,
  mib,
  sendBadTraffic,
  sumOfPoints,
  violations,
  type MemoryFigure,
  type MetricsSummary,
  type TrafficResult,
} from '../../../support/bad-traffic.js';

/**
 * Operations before the memory baseline (the first checkpoint at or past it; half the run when
 * shorter): by then the duration instrument has reached its 2,000-series cap (2,500 setRoute
 * templates, a quarter of the mix; reached after about 8,000 operations), the JIT is warm and the
 * socket pools full.
 */
const WARMUP_OPERATIONS = 20_000;
/** Heap (after gc) growth allowed from the end of the warm-up to the end: nothing should scale with requests. */
const HEAP_GROWTH_BOUND = 4 * MiB;
/** RSS growth allowed over the same span (RSS moves with the allocator's mood, hence wider). */
const RSS_GROWTH_BOUND = 48 * MiB;
const ANSWER_TIMEOUT_MS = 5000;

const { values } = parseArgs({
  options: {
    total: { type: 'string' },
    chunk: { type: 'string' },
    seed: { type: 'string', default: '6' },
    'sample-ms': { type: 'string', default: '500' },
    /** The same run with otel-health's instrumentation off: the comparison figure (metrics checks skipped). */
    off: { type: 'boolean', default: false },
  },
});
const short = process.env.RELIABILITY_SHORT === '1';
const chunk = Number(values.chunk ?? (short ? 5000 : 10_000));
const total = Number(values.total ?? (short ? 20_000 : 120_000));
const seed = Number(values.seed);
const sampleMs = Number(values['sample-ms']);
if (![chunk, total, seed, sampleMs].every((n) => Number.isFinite(n) && n >= 0) || chunk < 1 || total < chunk) {
  console.error('usage: bad-traffic.ts [--total N ≥ chunk] [--chunk N ≥ 1] [--seed N] [--sample-ms MS]');
  process.exit(2);
}

interface Checkpoint {
  operations: number;
  seconds: number;
  opsPerSec: number;
  memory: MemoryFigure;
  /** undefined with --off */
  summary: MetricsSummary | undefined;
  problems: string[];
  answered: boolean;
}

/** A normal request on each server, answered 200 within ANSWER_TIMEOUT_MS. */
async function stillServing(server: TrafficServer): Promise<boolean> {
  const ask = (port: number, path: string) =>
    Promise.race([
      request(port, path).then((r) => r.status === 200),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ANSWER_TIMEOUT_MS).unref()),
    ]).catch(() => false);
  const [a, b] = await Promise.all([ask(server.nodePort, '/gen/1/check'), ask(server.expressPort, '/users/check')]);
  return a && b;
}

function unanswered(t: TrafficResult): number {
  return (['express', 'gen', 'random', 'fail'] as const).reduce((n, kind) => n + (t.byKind[kind]?.errors ?? 0) + (t.byKind[kind]?.noAnswer ?? 0), 0);
}

installCleanup();
const server = await TrafficServer.start({ sampleMs });
const checkpoints: Checkpoint[] = [];
const kinds = new Map<string, number>();
let distinctTargets = 0;
let notAnswered = 0;
const started = performance.now();
let exitCode = 0;
try {
  if (!values.off) await server.instrument();
  const initial = await server.memory();
  for (let done = 0; done < total; ) {
    const n = Math.min(chunk, total - done);
    const t = await sendBadTraffic({ nodePort: server.nodePort, expressPort: server.expressPort, total: n, seed: seed + done });
    done += n;
    for (const [kind, k] of Object.entries(t.byKind)) kinds.set(kind, (kinds.get(kind) ?? 0) + k.sent);
    distinctTargets += t.distinctTargets;
    notAnswered += unanswered(t);
    const open = await server.settle();
    const summary = values.off ? undefined : await server.metrics();
    const problems = summary === undefined ? [] : violations(summary);
    if (open !== 0) problems.push(`${open} server-side connections still open 15 s after the chunk`);
    const answered = await stillServing(server);
    const memory = await server.memory();
    checkpoints.push({ operations: done, seconds: (performance.now() - started) / 1000, opsPerSec: n / (t.ms / 1000), memory, summary, problems, answered });
    console.error(
      `[bad-traffic] ${done}/${total} operations, ${(t.ms / 1000).toFixed(1)} s for this chunk; heap ${mib(memory.heapUsed)} MiB, RSS ${mib(memory.rss)} MiB; ` +
        `${problems.length} problem(s)${answered ? '' : '; NOT ANSWERING'}`,
    );
    if (!answered) break;
  }

  // Verdicts.
  const verdicts: { name: string; pass: boolean; detail: string }[] = [];
  const withProblems = checkpoints.filter((c) => c.problems.length > 0);
  verdicts.push({
    name: 'metrics checks after every chunk',
    pass: withProblems.length === 0,
    detail: withProblems.length === 0 ? `${checkpoints.length} checkpoints clean` : withProblems.map((c) => `${c.operations}: ${c.problems.slice(0, 5).join('; ')}`).join(' | '),
  });
  const silent = checkpoints.filter((c) => !c.answered);
  verdicts.push({
    name: 'still serving after every chunk',
    pass: silent.length === 0 && checkpoints.at(-1)?.operations === total,
    detail: silent.length === 0 ? 'a normal request answered 200 on both servers each time' : `not answering after ${silent[0]!.operations} operations`,
  });
  verdicts.push({ name: 'every well-formed request answered', pass: notAnswered === 0, detail: `${notAnswered} well-formed requests reset or unanswered` });
  const warmup = Math.min(WARMUP_OPERATIONS, total / 2);
  const base = checkpoints.find((c) => c.operations >= warmup) ?? checkpoints.at(-1)!;
  const last = checkpoints.at(-1)!;
  const heapGrowth = last.memory.heapUsed - base.memory.heapUsed;
  const rssGrowth = last.memory.rss - base.memory.rss;
  const measured = last !== base;
  verdicts.push({
    name: `heap after gc, growth after ${base.operations} operations`,
    pass: !measured || heapGrowth < HEAP_GROWTH_BOUND,
    detail: measured ? `${mib(heapGrowth)} MiB over ${last.operations - base.operations} operations (bound ${mib(HEAP_GROWTH_BOUND)})` : 'too few chunks to measure',
  });
  verdicts.push({
    name: `RSS growth after ${base.operations} operations`,
    pass: !measured || rssGrowth < RSS_GROWTH_BOUND,
    detail: measured ? `${mib(rssGrowth)} MiB (bound ${mib(RSS_GROWTH_BOUND)})` : 'too few chunks to measure',
  });
  exitCode = verdicts.every((v) => v.pass) ? 0 : 1;

  // The markdown section.
  const samples = server.samples;
  const duration = last.summary?.instruments.find((i) => i.name === DURATION);
  const lines: string[] = [];
  lines.push('## Bad traffic (long)');
  lines.push('');
  lines.push(`\`node --import tsx bench/reliability/cases/bad-traffic.ts --total ${total} --chunk ${chunk} --seed ${seed} --sample-ms ${sampleMs}${values.off ? ' --off' : ''}\``);
  lines.push('');
  lines.push(
    `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${mib(os.totalmem())} MiB RAM. ` +
      `${total} operations in ${((performance.now() - started) / 1000).toFixed(0)} s from this process against a server child ` +
      `(instrumentation ${values.off ? '**off**' : 'on'}, --expose-gc), 32 at a time; ${distinctTargets} distinct request targets in the well-formed requests.`,
  );
  lines.push('');
  lines.push(`Mix: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}.`);
  lines.push('');
  lines.push(`Memory before any traffic (after gc): heap ${mib(initial.heapUsed)} MiB, RSS ${mib(initial.rss)} MiB.`);
  lines.push('');
  lines.push('| operations | elapsed s | ops/s | heap after gc MiB | RSS after gc MiB | duration series (cap) | new series refused at the cap (cumulative) | active | problems | answering |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const c of checkpoints) {
    const d = c.summary?.instruments.find((i) => i.name === DURATION);
    const active = c.summary === undefined ? '–' : sumOfPoints(c.summary, ACTIVE);
    const series = d === undefined ? '–' : `${d.series} (${d.maxSeries})`;
    lines.push(
      `| ${c.operations} | ${c.seconds.toFixed(0)} | ${c.opsPerSec.toFixed(0)} | ${mib(c.memory.heapUsed)} | ${mib(c.memory.rss)} | ${series} | ${d?.overflowed ?? '–'} | ${active} | ${c.problems.length === 0 ? 'none' : c.problems.length} | ${c.answered ? 'yes' : 'NO'} |`,
    );
  }
  lines.push('');
  if (samples.length > 0) {
    const rss = samples.map((s) => s.rss);
    const heap = samples.map((s) => s.heapUsed);
    const every = Math.max(1, Math.ceil(samples.length / 24));
    lines.push(
      `Sampled every ${sampleMs} ms without gc (${samples.length} samples): RSS ${mib(Math.min(...rss))}–${mib(Math.max(...rss))} MiB, heap used ${mib(Math.min(...heap))}–${mib(Math.max(...heap))} MiB. ` +
        `RSS over time (MiB, every ${((every * sampleMs) / 1000).toFixed(1)} s): ${samples
          .filter((_, i) => i % every === 0)
          .map((s) => mib(s.rss).replace(/\.\d+$/, ''))
          .join(' ')}.`,
    );
    lines.push('');
  }
  if (last.summary !== undefined) {
    lines.push(
      `Series at the end: ${last.summary.instruments.map((i) => `${i.name} ${i.series}/${i.maxSeries}`).join(', ')}${duration?.capped ? ` (duration capped: ${duration.overflowed} times a new attribute set went to the overflow series instead)` : ''}.`,
    );
    lines.push('');
  }
  lines.push('| verdict | pass | detail |');
  lines.push('|---|---|---|');
  for (const v of verdicts) lines.push(`| ${v.name} | ${v.pass ? 'yes' : '**NO**'} | ${v.detail.replace(/\|/g, '\\|')} |`);
  lines.push('');
  console.log(lines.join('\n'));
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await server.stop();
}
process.exit(exitCode);
