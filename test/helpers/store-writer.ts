/**
 * A child process for the store's crash and locking tests: opens a store and appends rows
 * (requestCount = 1, 2, 3, … in order), state puts and transitions as fast as it can,
 * compacting every `--compact-every` rows, and reports on stdout:
 *   `open <persistent> <loaded rows>`, then `acked <n>` each time rows up to n are written
 *   (flush resolved), and `report <kind>` for each report the store made; with `--count N` it
 *   stops after N rows (with `--hold`: then prints `held` and waits for its stdin to end),
 *   closes and prints `done <json stats>`.
 *
 *   node --import tsx test/helpers/store-writer.ts --path FILE [--count N] [--compact-every K]
 *        [--start-ms T] [--service NAME] [--hold] [--ack-every N] [--pad BYTES]
 */
import { MonitoringLevel } from '../../src/model/index.js';
import { HistoryStore } from '../../src/history/store/index.js';
import { rowOf } from './store.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = arg('path')!;
const count = Number(arg('count') ?? Infinity);
const compactEvery = Number(arg('compact-every') ?? 0);
/** Rows between flushes: large batches make large writes (what a kill can cut short). */
const ackEvery = Number(arg('ack-every') ?? 5);
/** Also put a value this many bytes long with every row: big records, whose writes a kill can cut short. */
const pad = Number(arg('pad') ?? 0);
const startMs = Number(arg('start-ms') ?? Date.UTC(2026, 0, 1));
const service = arg('service') ?? 'checkout';
let now = startMs;

const out = (line: string): void => void process.stdout.write(line + '\n');
const store = await HistoryStore.open({
  path: file,
  now: () => now,
  onReport: (r) => out(`report ${r.kind} ${JSON.stringify(r.message)}`),
  compactRatio: Infinity,
  compactInterval: Infinity,
});
const loaded = store.query(service, { resolution: 'raw' });
let n = loaded.length > 0 ? loaded[loaded.length - 1]!.requestCount : 0;
out(`open ${store.persistent} ${loaded.length}`);
const values = [0.01, 0.02, 0.05];
let written = 0;
while (written < count) {
  n++;
  written++;
  now = startMs + n * 1000;
  store.appendRow(rowOf(now, values, { requestCount: n, serviceId: service, windowSeconds: 1 }));
  if (pad > 0) store.put('pad', { n, pad: 'x'.repeat(pad) });
  if (n % 10 === 0) {
    store.put(`last:${service}`, { n });
    store.appendTransition({
      kind: 'firing',
      at: now,
      alert: {
        rule: 'error_rate',
        level: MonitoringLevel.ERROR,
        state: 'firing',
        value: n,
        threshold: 0.1,
        serviceId: service,
        fingerprint: `fp-${n}`,
        startsAt: now,
        message: `row ${n}`,
      },
    });
  }
  if (compactEvery > 0 && n % compactEvery === 0) await store.compact(now);
  if (n % ackEvery === 0) {
    await store.flush();
    out(`acked ${n}`);
  }
}
if (process.argv.includes('--hold')) {
  await store.flush();
  out('held');
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
}
await store.close();
out(`done ${JSON.stringify(store.stats())}`);
