/**
 * The alternative the issue names: `node:sqlite` where Node has it. Measures, for the same
 * encoded check rows the store writes (one BLOB per check), the event-loop time of one insert
 * (DatabaseSync is synchronous: the write happens on the calling thread), with WAL and
 * synchronous=NORMAL (no fsync per commit) and FULL (fsync per commit), and the database's size
 * for a day of raw rows. Prints one JSON line; `run.ts` does not call it.
 *
 *   npx -y -p node@24 node --import tsx bench/store/sqlite.ts [--rows 5760]
 */
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { encodeRow } from '../../src/history/store/index.js';
import { RowSynth } from '../../test/helpers/store-year.js';
import { START, tempDir } from '../../test/helpers/store.js';

const require = createRequire(import.meta.url);
const rowsArg = process.argv.indexOf('--rows');
const rows = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : 5760;

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { run(...args: unknown[]): unknown };
  close(): void;
}

let sqlite: { DatabaseSync: new (file: string) => Db };
try {
  sqlite = require('node:sqlite') as typeof sqlite;
} catch (error) {
  console.log(JSON.stringify({ node: process.version, available: false, error: (error as Error).message }));
  process.exit(0);
}

const { dir, remove } = tempDir('otel-health-sqlite-');
const result: Record<string, unknown> = { node: process.version, available: true, rows };
try {
  for (const sync of ['NORMAL', 'FULL']) {
    const file = path.join(dir, `h-${sync}.db`);
    const db = new sqlite.DatabaseSync(file);
    db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${sync}; CREATE TABLE rows (t REAL, res INTEGER, service TEXT, payload BLOB)`);
    const insert = db.prepare('INSERT INTO rows VALUES (?, ?, ?, ?)');
    const synth = new RowSynth();
    const times: number[] = [];
    for (let i = 1; i <= rows; i++) {
      const now = START + i * 15_000;
      const payload = encodeRow(synth.row(now));
      const t0 = performance.now();
      insert.run(now, 0, 'checkout', payload);
      times.push(performance.now() - t0);
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
    times.sort((a, b) => a - b);
    result[sync] = {
      insertMedianUs: Math.round(times[times.length >> 1]! * 1000),
      insertP99Us: Math.round(times[Math.floor(times.length * 0.99)]! * 1000),
      insertMaxUs: Math.round(times[times.length - 1]! * 1000),
      bytes: statSync(file).size,
    };
    rmSync(file, { force: true });
  }
} finally {
  remove();
}
console.log(JSON.stringify(result));
