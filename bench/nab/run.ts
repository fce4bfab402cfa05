/**
 * NAB runner for the anomaly detector (issue 13, point 1).
 *
 *   node --import tsx bench/nab/run.ts --data DIR --out DIR [--labels FILE] [--scorer FILE]
 *                                      [--detector NAME] [--params JSON]
 *
 * Reads every DIR/<category>/<name>.csv (header `timestamp,value`), runs one fresh
 * `AnomalyDetector` per file over the rows in order (each point scored before it is learned),
 * and writes OUT/<category>/<detector>_<name>.csv (`timestamp,value,anomaly_score`, one row per
 * input row, same order; detector defaults to `otel-health`).
 *
 * Labels: `--labels FILE`, else DIR/../labels/combined_windows.json when it exists (the NAB
 * layout, as in shared/nab). Scorer: `--scorer FILE`, else DIR/../score.py. When both are found,
 * runs `python3 score.py OUT <detector> --labels FILE --only <categories found>` and prints its
 * lines (standard, reward_low_FP_rate, reward_low_FN_rate; threshold optimised over the files).
 *
 * `--params JSON` overrides detector options (for parameter studies only; the committed results
 * use the defaults). Time per point: the detector's own time per file (parse and I/O excluded),
 * divided by its rows; the median over files is printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AnomalyDetector, type AnomalyDetectorOptions } from '../../src/evaluator/anomaly.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dataDir = arg('--data');
const outDir = arg('--out');
if (dataDir === undefined || outDir === undefined) {
  console.error('usage: node --import tsx bench/nab/run.ts --data DIR --out DIR [--labels FILE] [--scorer FILE] [--detector NAME] [--params JSON]');
  process.exit(2);
}
const detectorName = arg('--detector') ?? 'otel-health';
const params = JSON.parse(arg('--params') ?? '{}') as AnomalyDetectorOptions;
const labels = arg('--labels') ?? join(dataDir, '..', 'labels', 'combined_windows.json');
const scorer = arg('--scorer') ?? join(dataDir, '..', 'score.py');

/** "2014-02-14 14:30:00" (NAB, UTC) → epoch ms; NaN when unparseable. */
function parseTimestamp(text: string): number {
  return Date.parse(text.trim().replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? '' : 'Z'));
}

const perPointNs: number[] = [];
const categories: string[] = [];
let files = 0;
let rows = 0;
for (const category of readdirSync(dataDir).sort()) {
  const catDir = join(dataDir, category);
  if (!statSync(catDir).isDirectory()) continue;
  const names = readdirSync(catDir).filter((f) => f.endsWith('.csv')).sort();
  if (names.length === 0) continue;
  categories.push(category);
  mkdirSync(join(outDir, category), { recursive: true });
  for (const name of names) {
    const lines = readFileSync(join(catDir, name), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
    const header = lines[0]!.split(',').map((h) => h.trim());
    const ti = header.indexOf('timestamp');
    const vi = header.indexOf('value');
    const stamps: string[] = [];
    const times = new Float64Array(lines.length - 1);
    const values = new Float64Array(lines.length - 1);
    const rawValues: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const cells = lines[i]!.split(',');
      stamps.push(cells[ti]!);
      rawValues.push(cells[vi]!);
      times[i - 1] = parseTimestamp(cells[ti]!);
      values[i - 1] = Number(cells[vi]);
    }
    const scores = new Float64Array(values.length);
    const detector = new AnomalyDetector(params);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < values.length; i++) scores[i] = detector.score(values[i]!, times[i]!);
    const elapsed = Number(process.hrtime.bigint() - t0);
    perPointNs.push(elapsed / Math.max(1, values.length));
    const out = ['timestamp,value,anomaly_score'];
    for (let i = 0; i < values.length; i++) out.push(`${stamps[i]},${rawValues[i]},${scores[i]!.toFixed(6)}`);
    writeFileSync(join(outDir, category, `${detectorName}_${name}`), out.join('\n') + '\n');
    files += 1;
    rows += values.length;
  }
}

perPointNs.sort((a, b) => a - b);
const median = perPointNs.length === 0 ? 0 : perPointNs[Math.floor((perPointNs.length - 1) / 2)]!;
console.log(`${files} files, ${rows} points → ${resolve(outDir)}`);
console.log(`time per point (detector only, median over files): ${(median / 1000).toFixed(3)} µs` +
  ` (min ${(perPointNs[0]! / 1000).toFixed(3)}, max ${(perPointNs[perPointNs.length - 1]! / 1000).toFixed(3)})`);

if (existsSync(labels) && existsSync(scorer)) {
  const result = spawnSync('python3', [resolve(scorer), resolve(outDir), detectorName, '--labels', resolve(labels), '--only', categories.join(',')], {
    encoding: 'utf8',
    cwd: dirname(resolve(scorer)),
  });
  process.stdout.write(result.stdout);
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    process.exit(1);
  }
} else {
  console.log(`no labels/scorer found (${labels}, ${scorer}): scores not computed`);
}
