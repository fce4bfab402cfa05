/**
 * The long reliability run (`npm run reliability`): the collector-outage scenario under load
 * (scenario.ts), then every other long case in bench/reliability/cases/*.ts, one after another.
 * Prints a markdown report (and writes it to `--out`); exits non-zero when any assertion fails.
 *
 *   node --import tsx bench/reliability/run.ts [--short] [--out FILE] [--skip-cases] [--skip-outage]
 *        [--case-timeout 1800] [--warmup S] [--baseline S] [--fault S] [--fault-modes refuse,hang,status500,status429]
 *        [--downtime S] [--recovery-deadline S] [--window S] [--alert-period S] [--export-interval MS]
 *        [--check-interval S] [--connections N] [--sample-every S] [--otlp-timeout MS]
 *
 * Without `--short` the durations are those of issue 6 (about 16 minutes for the outage scenario)
 * and every verdict is asserted, throughput ratio and RSS growth included. `--short` makes every
 * phase a few seconds (the durations test/system/outage-under-load.test.ts uses) and asserts only the
 * verdicts that are not noise-bound (throughput and RSS are then printed, not asserted).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, killAllChildren } from '../../support/children.js';
import { describeMachine } from '../machine.js';
import { analyze, failures, type Verdict } from './analysis.js';
import { listCases, runCase, type CaseResult } from './cases.js';
import { isFaultMode, type FaultMode } from './protocol.js';
import { scenarioMarkdown } from './report.js';
import { LONG_OPTIONS, runOutageScenario, SHORT_OPTIONS, validateOptions, type ScenarioOptions } from './scenario.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');

const NUMERIC = {
  warmup: 'warmupS',
  baseline: 'baselineS',
  fault: 'faultS',
  downtime: 'downtimeS',
  'recovery-deadline': 'recoveryDeadlineS',
  window: 'windowS',
  'alert-period': 'alertPeriodS',
  'export-interval': 'exportIntervalMs',
  'check-interval': 'checkIntervalS',
  connections: 'connections',
  'sample-every': 'sampleEveryS',
  'otlp-timeout': 'otlpTimeoutMs',
} as const satisfies Record<string, keyof ScenarioOptions>;

const USAGE = `usage: node --import tsx bench/reliability/run.ts [--short] [--out FILE] [--skip-cases] [--skip-outage] [--case-timeout S]
       [--fault-modes refuse,hang,status500,status429] ${Object.keys(NUMERIC).map((k) => `[--${k} N]`).join(' ')}
Durations in seconds except --export-interval and --otlp-timeout (ms). See the comment at the top of the file.`;

interface Options {
  short: boolean;
  out: string | undefined;
  cases: boolean;
  outage: boolean;
  caseTimeoutS: number;
  scenario: ScenarioOptions;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      short: { type: 'boolean', default: false },
      out: { type: 'string' },
      'skip-cases': { type: 'boolean', default: false },
      'skip-outage': { type: 'boolean', default: false },
      'case-timeout': { type: 'string', default: '1800' },
      'fault-modes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got "${raw}"`);
    return n;
  };
  const scenario: ScenarioOptions = { ...(values.short ? SHORT_OPTIONS : LONG_OPTIONS) };
  for (const [flag, key] of Object.entries(NUMERIC)) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof raw === 'string') (scenario as unknown as Record<string, number>)[key] = num(flag, raw);
  }
  if (values['fault-modes'] !== undefined) {
    const modes = values['fault-modes'].split(',').map((m) => m.trim()).filter(Boolean);
    for (const m of modes) if (!isFaultMode(m) || m === 'up') throw new Error(`--fault-modes: "${m}" is not one of refuse, hang, status500, status429`);
    scenario.faultModes = modes as FaultMode[];
  }
  validateOptions(scenario);
  return {
    short: values.short,
    out: values.out,
    cases: !values['skip-cases'],
    outage: !values['skip-outage'],
    caseTimeoutS: num('case-timeout', values['case-timeout']),
    scenario,
  };
}

function commandLine(): string {
  return ['node', '--import', 'tsx', path.relative(process.cwd(), fileURLToPath(import.meta.url)), ...process.argv.slice(2)].join(' ');
}

function caseMarkdown(c: CaseResult): string {
  const out = [`## Case ${path.basename(c.file)}: ${c.pass ? 'PASS' : 'FAIL'} (${c.exit}, ${c.seconds.toFixed(0)} s)`, '', '```', c.command, '```', ''];
  out.push(c.stdout.trim() || '(printed nothing)', '');
  if (!c.pass && c.stderrTail) out.push('Its stderr ends with:', '', '```', c.stderrTail, '```', '');
  return out.join('\n');
}

async function main(): Promise<void> {
  installCleanup();
  const opts = parseOptions(process.argv.slice(2));
  const machine = describeMachine(REPO_ROOT);
  const command = commandLine();
  const sections: string[] = [];
  const failed: string[] = [];
  const progress = (line: string): void => console.error(line);

  if (opts.outage) {
    const s = opts.scenario;
    const approxS = s.warmupS + s.baselineS + s.faultModes.length * s.faultS + s.downtimeS;
    progress(`outage scenario: about ${Math.ceil(approxS / 60)} min plus recoveries (${opts.short ? 'short' : 'long'} durations)`);
    const result = await runOutageScenario({ ...s, progress });
    machine.loadAvgEnd = os.loadavg();
    const analysis = analyze(result);
    sections.push(scenarioMarkdown(result, analysis, command, machine));
    const bad: Verdict[] = failures(analysis, !opts.short);
    for (const v of bad) failed.push(`outage scenario: ${v.name} — ${v.detail}`);
  }

  if (opts.cases) {
    for (const file of listCases(path.join(HERE, 'cases'))) {
      progress(`case ${path.basename(file)}: running (at most ${opts.caseTimeoutS} s)`);
      const result = await runCase(file, { cwd: REPO_ROOT, timeoutS: opts.caseTimeoutS, short: opts.short, echo: (t) => process.stderr.write(t) });
      progress(`case ${path.basename(file)}: ${result.pass ? 'passed' : 'FAILED'} (${result.exit}, ${result.seconds.toFixed(0)} s)`);
      sections.push(caseMarkdown(result));
      if (!result.pass) failed.push(`case ${path.basename(file)}: ${result.exit}`);
    }
  }

  machine.loadAvgEnd = os.loadavg();
  const head = [
    '# Reliability run',
    '',
    `\`${command}\` — ${failed.length === 0 ? 'every assertion held' : `${failed.length} failed`}` +
      (opts.short ? ' (short durations: throughput and RSS printed, not asserted)' : '') +
      '.',
    '',
    ...failed.map((f) => `- FAIL: ${f}`),
    ...(failed.length ? [''] : []),
  ];
  const report = [...head, ...sections].join('\n');
  console.log(report);
  if (opts.out !== undefined) {
    const file = path.resolve(process.cwd(), opts.out);
    writeFileSync(file, report);
    progress(`wrote ${file}`);
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  killAllChildren();
  process.exit(1);
});
