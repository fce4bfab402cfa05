/**
 * Memory per series of the anomaly detector (issue 13, point 3).
 *
 *   node --expose-gc --import tsx bench/nab/memory.ts [detectors=1000] [points=5000]
 *
 * Creates N detectors with the defaults, feeds each `points` values (noise with a daily-like
 * cycle, so the context tables fill), and prints the growth of heapUsed and arrayBuffers
 * (typed arrays) after a forced GC, divided by N.
 */
import { AnomalyDetector } from '../../src/evaluator/anomaly.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const n = Number(process.argv[2] ?? 1000);
const points = Number(process.argv[3] ?? 5000);

function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

gc();
gc();
const before = process.memoryUsage();
const detectors: AnomalyDetector[] = [];
for (let d = 0; d < n; d++) {
  const det = new AnomalyDetector();
  const r = noise(d + 1);
  for (let i = 0; i < points; i++) det.score(100 + 20 * Math.sin(i / 46) + 10 * r());
  detectors.push(det);
}
gc();
gc();
const after = process.memoryUsage();
const heap = (after.heapUsed - before.heapUsed) / n;
const buffers = (after.arrayBuffers - before.arrayBuffers) / n;
console.log(`${n} detectors × ${points} points: heap ${(heap / 1024).toFixed(2)} KiB + typed arrays ${(buffers / 1024).toFixed(2)} KiB = ${((heap + buffers) / 1024).toFixed(2)} KiB per series`);
console.log(`(kept alive: ${detectors.length} detectors, ${detectors.reduce((s, d) => s + d.learned, 0)} points learned)`);
