/**
 * The store across real processes: SIGKILL at random moments, two processes on one path, a
 * stale lock left by a killed process, and the same file on Node 22 and 24.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { HistoryStore, acquireLock, type StoreReport } from '../../src/history/store/index.js';
import { START, rowOf, rng, tempDir } from '../helpers/store.js';

const temp = tempDir();
after(() => temp.remove());
let seq = 0;
const freshFile = (): string => {
  const dir = path.join(temp.dir, `p${seq++}`);
  mkdirSync(dir, { recursive: true });
  return path.join(dir, 'store.ohs');
};
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const writerScript = path.join(repo, 'test/helpers/store-writer.ts');

interface Writer {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Resolves with the first line matching. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWriter(args: string[], command: string[] = [process.execPath]): Writer {
  const [cmd, ...pre] = command;
  const child = spawn(cmd!, [...pre, '--import', 'tsx', writerScript, ...args], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (pattern) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
        exited.then(({ code, signal }) => {
          throw new Error(`writer exited (${code ?? signal}) before ${pattern}: ${lines.join(' | ')} ${stderr}`);
        }),
      ]);
    },
  };
}

async function load(file: string, service = 'checkout'): Promise<{ counts: number[]; store: HistoryStore; reports: StoreReport[] }> {
  const reports: StoreReport[] = [];
  const store = await HistoryStore.open({ path: file, now: () => START, onReport: (r) => reports.push(r), compactRatio: Infinity, compactInterval: Infinity });
  const counts = store.query(service, { resolution: 'raw' }).map((r) => r.requestCount);
  return { counts, store, reports };
}

const isPrefix = (counts: number[]): boolean => counts.every((c, i) => c === i + 1);

describe('store across processes', () => {
  it('SIGKILL at random moments, 30 times: every reload succeeds and holds a prefix of what was written, at least what was acknowledged', async (t) => {
    const file = freshFile();
    const random = rng(20261203);
    let previous = 0;
    let torn = 0;
    let wrote = 0;
    const iterations = 30;
    for (let i = 0; i < iterations; i++) {
      // Three kinds of writer in turn: small writes with a compaction every 40 rows (kills land
      // inside compactions); 2000 rows queued per flush (writes of up to 1 MiB); a 300 KB value
      // put with every row, 4 rows per flush (the process lives in write(2): about one kill in ten cuts a write short).
      const kind = i % 3;
      const writer = startWriter([
        '--path', file,
        '--compact-every', kind === 0 ? '40' : '0',
        '--ack-every', kind === 1 ? '2000' : kind === 2 ? '4' : '5',
        '--pad', kind === 2 ? '300000' : '0',
      ]);
      // A random moment: 0–60 ms after the first acknowledged batch.
      await writer.waitFor(/^acked /);
      await new Promise((resolve) => setTimeout(resolve, random() * 60));
      writer.child.kill('SIGKILL');
      const { signal } = await writer.exited;
      assert.equal(signal, 'SIGKILL');
      const acked = Math.max(0, ...writer.lines.filter((l) => l.startsWith('acked ')).map((l) => Number(l.slice(6))));
      const { counts, store, reports } = await load(file);
      assert.deepEqual(reports.filter((r) => r.level === 'warn'), [], `iteration ${i}: no warning`);
      assert.ok(isPrefix(counts), `iteration ${i}: rows 1..${counts.length} in order`);
      assert.ok(counts.length >= acked, `iteration ${i}: ${counts.length} rows ≥ ${acked} acknowledged`);
      assert.ok(counts.length >= previous, `iteration ${i}: nothing lost that an earlier reload had`);
      const last = store.get<{ n: number }>('last:checkout');
      if (last !== undefined) assert.ok(last.n <= counts.length, 'state no newer than the rows');
      const padded = store.get<{ n: number }>('pad');
      if (padded !== undefined) assert.ok(padded.n <= counts.length, 'the padded value no newer than the rows');
      // Transitions (written after the row of every 10th): in order, none past the rows; a kill
      // between a row and its transition loses at most that one transition per kill.
      const values = store.transitions().map((t) => t.alert.value);
      assert.ok(values.every((v, k) => v % 10 === 0 && (k === 0 || v > values[k - 1]!)), `iteration ${i}: transitions in order`);
      assert.ok((values[values.length - 1] ?? 0) <= counts.length, `iteration ${i}: no transition past the rows`);
      if (values.length < 10_000) assert.ok(values.length >= Math.floor(counts.length / 10) - (i + 1), `iteration ${i}: transitions kept`);
      previous = counts.length;
      if (store.stats().tornBytes > 0) torn++;
      if (writer.lines.some((l) => l.startsWith('acked '))) wrote++;
      await store.close();
    }
    t.diagnostic(`${previous} rows after ${iterations} kills; ${wrote} writers got to write, ${torn} reloads truncated a torn tail`);
    assert.ok(previous > 30, `the writers got somewhere: ${previous} rows`);
  });

  it('two processes on one path: the second runs in memory with one warning, the file holds only the first one\'s rows', async () => {
    const file = freshFile();
    const first = startWriter(['--path', file, '--count', '200', '--hold']);
    await first.waitFor(/^held$/);
    const second = startWriter(['--path', file, '--count', '50', '--service', 'other']);
    const opened = await second.waitFor(/^open /);
    assert.equal(opened, 'open false 0');
    const done = JSON.parse((await second.waitFor(/^done /)).slice(5)) as { dropped: number; rows: Record<number, number> };
    assert.equal((await second.exited).code, 0);
    assert.equal(second.lines.filter((l) => l.startsWith('report locked')).length, 1);
    assert.match(second.lines.find((l) => l.startsWith('report locked'))!, new RegExp(`in use by pid ${first.child.pid}`));
    assert.equal(done.rows[0], 50, 'kept in memory');
    assert.ok(done.dropped >= 50, 'and not written');
    first.child.stdin.end();
    assert.equal((await first.exited).code, 0);
    const { counts, store } = await load(file);
    assert.deepEqual(counts, Array.from({ length: 200 }, (_, i) => i + 1));
    assert.deepEqual(store.serviceIds(), ['checkout']);
    await store.close();
    // Released: the next process gets it.
    const third = startWriter(['--path', file, '--count', '5']);
    assert.equal(await third.waitFor(/^open /), 'open true 200');
    assert.equal((await third.exited).code, 0);
  });

  it('two processes started together on one path: exactly one persists', async () => {
    const file = freshFile();
    // Both hold the store open until both have opened it: a real overlap.
    const a = startWriter(['--path', file, '--count', '100', '--service', 'a', '--hold']);
    const b = startWriter(['--path', file, '--count', '100', '--service', 'b', '--hold']);
    const [ra, rb] = await Promise.all([a.waitFor(/^open /), b.waitFor(/^open /)]);
    assert.deepEqual([ra, rb].sort(), ['open false 0', 'open true 0']);
    await Promise.all([a.waitFor(/^held$/), b.waitFor(/^held$/)]);
    a.child.stdin.end();
    b.child.stdin.end();
    await Promise.all([a.exited, b.exited]);
    const winner = ra === 'open true 0' ? 'a' : 'b';
    const { counts, store } = await load(file, winner);
    assert.equal(counts.length, 100);
    assert.deepEqual(store.serviceIds(), [winner]);
    await store.close();
  });

  it('a lock left by a process killed with SIGKILL is stale (its pid is gone) and taken over', async () => {
    const file = freshFile();
    const writer = startWriter(['--path', file, '--count', '30', '--hold']);
    await writer.waitFor(/^held$/);
    writer.child.kill('SIGKILL');
    await writer.exited;
    assert.ok(existsSync(`${file}.lock`), 'the killed process left its lock');
    const { counts, store, reports } = await load(file);
    assert.deepEqual(reports, []);
    assert.equal(store.persistent, true);
    assert.equal(counts.length, 30);
    const owner = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as { pid: number };
    assert.equal(owner.pid, process.pid);
    await store.close();
    assert.equal(existsSync(`${file}.lock`), false, 'released at close');
  });

  it('a lock of another host is held while its heartbeat is fresh, stale when it stopped', async () => {
    const file = freshFile();
    const lockPath = `${file}.lock`;
    writeFileSync(lockPath, JSON.stringify({ pid: 1, host: `not-${os.hostname()}`, token: 'x', since: Date.now() }));
    const held = await acquireLock(lockPath, { staleMs: 60_000 });
    assert.equal(held.ok, false);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockPath, old, old);
    const taken = await acquireLock(lockPath, { staleMs: 60_000 });
    assert.equal(taken.ok, true);
    if (taken.ok) await taken.lock.release();
  });
});

describe('store on other Node versions', () => {
  // `npx -y -p node@22 node …` as docs/STORE.md gives it; skipped when npx cannot provide that Node here.
  for (const version of ['22', '24']) {
    it(`a store written on Node ${process.versions.node.split('.')[0]} loads, and is appended to, on Node ${version}, and back`, async (t) => {
      const file = freshFile();
      let now = START;
      const store = await HistoryStore.open({ path: file, now: () => now, onReport: () => undefined });
      for (let i = 1; i <= 100; i++) store.appendRow(rowOf((now = START + i * 1000), [0.01, 0.02], { requestCount: i }));
      store.put('firing:x', { startsAt: START });
      await store.compact(now); // a compacted block and appended records after it
      for (let i = 101; i <= 120; i++) store.appendRow(rowOf((now = START + i * 1000), [0.01, 0.02], { requestCount: i }));
      await store.close();

      const other = startWriter(['--path', file, '--count', '5', '--start-ms', String(START)], ['npx', '-y', '-p', `node@${version}`, 'node']);
      let opened: string;
      try {
        opened = await other.waitFor(/^open /);
      } catch (error) {
        t.skip(`node@${version} not available through npx here: ${(error as Error).message.slice(0, 200)}`);
        return;
      }
      assert.equal(opened, 'open true 120');
      assert.equal((await other.exited).code, 0);
      const { counts, store: back } = await load(file);
      assert.deepEqual(counts, Array.from({ length: 125 }, (_, i) => i + 1));
      assert.deepEqual(back.get('firing:x'), { startsAt: START });
      await back.close();
    });
  }
});
