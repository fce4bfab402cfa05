import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { HistoryStore, type StoreReport } from '../../src/history/store/index.js';
import { START, rowOf, tempDir } from '../helpers/store.js';

const temp = tempDir();
after(() => temp.remove());
let seq = 0;
const freshDir = (): string => {
  const dir = path.join(temp.dir, `d${seq++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const isRoot = process.getuid?.() === 0;
const repo = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

/** A store at `file` holding `n` rows (requestCount 1..n), closed; no compaction. */
async function filled(file: string, n: number): Promise<void> {
  let now = START;
  const store = await HistoryStore.open({ path: file, now: () => now, onReport: () => undefined, compactRatio: Infinity, compactInterval: Infinity });
  for (let i = 1; i <= n; i++) {
    now = START + i * 1000;
    store.appendRow(rowOf(now, [0.01, 0.02, 0.04], { requestCount: i, windowSeconds: 1 }));
  }
  await store.close();
}

async function reopen(file: string): Promise<{ store: HistoryStore; reports: StoreReport[]; counts: number[] }> {
  const reports: StoreReport[] = [];
  const store = await HistoryStore.open({ path: file, now: () => START + 86_400_000, onReport: (r) => reports.push(r), compactRatio: Infinity, compactInterval: Infinity });
  const counts = store.query('checkout', { resolution: 'raw' }).map((r) => r.requestCount);
  return { store, reports, counts };
}

const warnings = (reports: StoreReport[]): StoreReport[] => reports.filter((r) => r.level === 'warn');
const asideFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.corrupt-'));

describe('store faults: damaged files', () => {
  it('a torn tail (the last write cut short) is truncated to the last whole record, no warning', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'store.ohs');
    await filled(file, 100);
    const size = statSync(file).size;
    truncateSync(file, size - 37); // the last record loses its end
    const { store, reports, counts } = await reopen(file);
    assert.deepEqual(warnings(reports), []);
    assert.deepEqual(counts, Array.from({ length: 99 }, (_, i) => i + 1));
    assert.equal(store.stats().tornBytes > 0, true);
    assert.ok(statSync(file).size < size - 37, 'truncated on disk');
    // Appends go on after the repair.
    store.appendRow(rowOf(START + 200_000, [0.01], { requestCount: 200 }));
    await store.close();
    const again = await reopen(file);
    assert.deepEqual(again.counts.slice(-2), [99, 200]);
    assert.deepEqual(again.reports, []);
    await again.store.close();
  });

  for (const [name, damage] of [
    ['a file shorter than its header', (file: string) => truncateSync(file, 5)],
    ['a foreign file (JSON)', (file: string) => writeFileSync(file, JSON.stringify({ some: 'other tool' }))],
    ['a foreign file (SQLite)', (file: string) => writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080)]))],
    ['a newer format version', (file: string) => {
      const buf = readFileSync(file);
      buf.writeUInt32LE(2, 8);
      writeFileSync(file, buf);
    }],
  ] as const) {
    it(`${name}: moved aside with one warning, a fresh store started`, async () => {
      const dir = freshDir();
      const file = path.join(dir, 'store.ohs');
      await filled(file, 20);
      damage(file);
      const before = readFileSync(file);
      const { store, reports, counts } = await reopen(file);
      const warned = warnings(reports);
      assert.equal(warned.length, 1, JSON.stringify(reports));
      assert.equal(warned[0]!.kind, 'corrupt');
      assert.match(warned[0]!.message, /moved it to .*store\.ohs\.corrupt-.* and started a fresh store/);
      assert.deepEqual(counts, []);
      assert.equal(store.persistent, true);
      const aside = asideFiles(dir);
      assert.equal(aside.length, 1);
      assert.deepEqual(readFileSync(path.join(dir, aside[0]!)), before, 'the damaged file is kept as it was');
      store.appendRow(rowOf(START + 5000, [0.01], { requestCount: 1 }));
      await store.close();
      const again = await reopen(file);
      assert.deepEqual(again.reports, [], 'the fresh store opens quietly');
      assert.deepEqual(again.counts, [1]);
      await again.store.close();
    });
  }

  it('damage in the middle (whole records after it): moved aside, the records before it kept', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'store.ohs');
    await filled(file, 200);
    const buf = readFileSync(file);
    buf[Math.floor(buf.length / 2)] ^= 0xff;
    writeFileSync(file, buf);
    const { store, reports, counts } = await reopen(file);
    const warned = warnings(reports);
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.kind, 'corrupt');
    assert.match(warned[0]!.message, /with the \d+ records read before the damage/);
    assert.ok(counts.length > 50 && counts.length < 200, `kept ${counts.length}`);
    assert.deepEqual(counts, Array.from({ length: counts.length }, (_, i) => i + 1), 'a prefix');
    assert.equal(asideFiles(dir).length, 1);
    await store.close();
    const again = await reopen(file);
    assert.deepEqual(again.reports, []);
    assert.equal(again.counts.length, counts.length);
    await again.store.close();
  });

  it('a damaged compacted block: moved aside with one warning', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'store.ohs');
    let now = START;
    const store = await HistoryStore.open({ path: file, now: () => now, onReport: () => undefined });
    for (let i = 1; i <= 50; i++) store.appendRow(rowOf((now = START + i * 1000), [0.01], { requestCount: i }));
    await store.compact(now);
    await store.close();
    const buf = readFileSync(file);
    buf[40] ^= 0x55; // inside the first block's deflated bytes (its CRC now fails)
    writeFileSync(file, buf);
    const { store: again, reports } = await reopen(file);
    assert.equal(warnings(reports).length, 1);
    assert.equal(asideFiles(dir).length, 1);
    await again.close();
  });
});

describe('store faults: no place to write', () => {
  async function expectOff(file: string, code: RegExp): Promise<void> {
    const reports: StoreReport[] = [];
    const store = await HistoryStore.open({ path: file, onReport: (r) => reports.push(r) });
    assert.equal(store.persistent, false);
    const warned = warnings(reports);
    assert.equal(warned.length, 1, JSON.stringify(reports));
    assert.equal(warned[0]!.kind, 'off');
    assert.match(warned[0]!.message, code);
    assert.match(warned[0]!.message, /kept in memory only/);
    // Still works in memory; nothing thrown; appends counted as dropped; no second report.
    store.appendRow(rowOf(START + 1000, [0.01], { requestCount: 7 }));
    store.put('k', 1);
    store.appendTransition({ kind: 'firing', at: START, alert: {} as never });
    assert.equal(store.query('checkout', { resolution: 'raw' })[0]!.requestCount, 7);
    assert.equal(store.get('k'), 1);
    await store.maintain(START + 2000);
    await store.flush();
    await store.close();
    const stats = store.stats();
    assert.equal(stats.dropped, 3);
    assert.ok(stats.faults >= 1);
    assert.equal(warnings(reports).length, 1);
  }

  it('a path whose parent is a file (ENOTDIR)', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'plain-file'), 'x');
    await expectOff(path.join(dir, 'plain-file', 'store.ohs'), /ENOTDIR|EEXIST/);
  });

  it('a read-only directory (EACCES as a user, EROFS on a read-only mount)', async (t) => {
    const dir = freshDir();
    if (!isRoot) {
      chmodSync(dir, 0o555);
      try {
        await expectOff(path.join(dir, 'store.ohs'), /EACCES|EROFS|EPERM/);
      } finally {
        chmodSync(dir, 0o755);
      }
      return;
    }
    // root ignores permission bits: a read-only tmpfs, when this process may mount one.
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      t.skip('running as root without permission to mount a read-only tmpfs');
      return;
    }
    try {
      await expectOff(path.join(dir, 'store.ohs'), /EROFS/);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a missing permission (a store file this user may not read, or a system path)', async () => {
    if (!isRoot) {
      const dir = freshDir();
      const file = path.join(dir, 'store.ohs');
      await filled(file, 3);
      chmodSync(file, 0o000);
      try {
        await expectOff(file, /EACCES/);
      } finally {
        chmodSync(file, 0o644);
      }
      return;
    }
    await expectOff('/sys/otel-health-store-test/store.ohs', /EPERM|EACCES|EROFS/);
  });

  it('disk full mid-run (ENOSPC on a 64 KiB tmpfs, or EFBIG under a file-size limit): off, reported once, the process runs on', async () => {
    const dir = freshDir();
    let mounted = false;
    if (isRoot) {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
        mounted = true;
      } catch {
        // fall back to the file-size limit
      }
    }
    try {
      // The writer appends 3000 rows (~700 KB) into 64 KiB of room.
      const writer = path.join(repo, 'test/helpers/store-writer.ts');
      const file = path.join(dir, 'store.ohs');
      const command = mounted
        ? `exec "${process.execPath}" --import tsx "${writer}" --path "${file}" --count 3000`
        : `ulimit -f 128 && exec "${process.execPath}" --import tsx "${writer}" --path "${file}" --count 3000`;
      const child = spawn('sh', ['-c', command], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, err);
      const lines = out.trim().split('\n');
      const offReports = lines.filter((l) => l.startsWith('report off'));
      assert.equal(offReports.length, 1, out);
      assert.match(offReports[0]!, mounted ? /ENOSPC/ : /EFBIG/);
      const done = JSON.parse(lines.find((l) => l.startsWith('done '))!.slice(5)) as { dropped: number; faults: number; rows: Record<number, number> };
      assert.ok(done.dropped > 0 && done.faults >= 1, JSON.stringify(done));
      assert.equal(done.rows[0], 3000, 'every row kept in memory');
      // What reached the disk loads as a prefix.
      if (existsSync(file)) {
        const { store, counts } = await reopen(file);
        assert.deepEqual(counts, Array.from({ length: counts.length }, (_, i) => i + 1));
        await store.close();
      }
    } finally {
      if (mounted) execFileSync('umount', [dir]);
    }
  });
});
