/**
 * One writer per store path: an exclusive lock file `<path>.lock`.
 *
 * Taking it: the owner's record (pid, host, a random token, time) is written to a private temp
 * file, then hard-linked to the lock path. link(2) fails with EEXIST when the lock exists, so
 * creation and content are atomic: no half-written lock is ever seen. (Where hard links are
 * not supported the lock is created with an exclusive open, `wx`.)
 *
 * A held lock is stale, and taken over, when its owner is on this host and its pid is gone
 * (`kill(pid, 0)` → ESRCH), or when its heartbeat stopped: the owner touches the lock's mtime
 * every `staleMs / 4`, so a lock untouched for `staleMs` (default 2 min) belongs to a process
 * that is gone, or on another host sharing the volume. Breaking a stale lock is itself guarded
 * by a short-lived `<path>.lock.break` lock, so two processes that both find it stale cannot
 * both take it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';

export interface LockOwner {
  pid: number;
  host: string;
  token: string;
  /** When it was taken, epoch ms. */
  since: number;
}

export type LockResult =
  | { ok: true; lock: StoreLock }
  | { ok: false; held: true; owner: LockOwner | undefined }
  | { ok: false; held: false; error: NodeJS.ErrnoException };

export interface LockOptions {
  /** A lock untouched this long (ms) is stale. Default 120 000. */
  staleMs?: number;
  /** Wall clock (ms) used to judge mtimes. Default Date.now. */
  now?: () => number;
}

export const DEFAULT_STALE_MS = 120_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<{ owner: LockOwner | undefined; raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, stat] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    let owner: LockOwner | undefined;
    try {
      const parsed = JSON.parse(raw) as LockOwner;
      if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') owner = parsed;
    } catch {
      // unreadable content: judged by its age alone
    }
    return { owner, raw, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Create `path` holding `content`, atomically; false when it exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, content, { flag: 'wx' });
  try {
    await fs.link(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
  // No hard links here: an exclusive open.
  try {
    await fs.writeFile(path, content, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isStale(found: { owner: LockOwner | undefined; mtimeMs: number }, staleMs: number, now: number): boolean {
  if (now - found.mtimeMs > staleMs) return true;
  const owner = found.owner;
  if (owner === undefined) return false; // judged by age only
  if (owner.host === os.hostname() && owner.pid !== process.pid && !pidAlive(owner.pid)) return true;
  return false;
}

export class StoreLock {
  private heartbeat: NodeJS.Timeout | undefined;
  private released = false;

  constructor(
    readonly path: string,
    readonly owner: LockOwner,
    staleMs: number,
  ) {
    const every = Math.max(1000, staleMs / 4);
    this.heartbeat = setInterval(() => {
      const t = new Date();
      fs.utimes(this.path, t, t).catch(() => undefined);
    }, every);
    this.heartbeat.unref();
  }

  /** Remove the lock if it is still ours. Never throws. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    try {
      const found = await readOwner(this.path);
      if (found?.owner?.token === this.owner.token) await fs.unlink(this.path);
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Take the lock at `path` (the store's path + `.lock`). Never throws. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<LockResult> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const now = options.now ?? Date.now;
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: now() };
  const content = JSON.stringify(owner);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createExclusive(path, content)) return { ok: true, lock: new StoreLock(path, owner, staleMs) };
      const found = await readOwner(path);
      if (found === undefined) continue; // released meanwhile: try again
      if (!isStale(found, staleMs, now())) return { ok: false, held: true, owner: found.owner };
      // Stale: break it under the break lock, if it is still the same stale lock.
      const breakPath = `${path}.break`;
      if (!(await createExclusive(breakPath, content))) {
        const breaker = await readOwner(breakPath);
        if (breaker !== undefined && isStale(breaker, 10_000, now())) await fs.unlink(breakPath).catch(() => undefined);
        continue;
      }
      try {
        const again = await readOwner(path);
        if (again !== undefined && again.raw === found.raw) await fs.unlink(path);
      } finally {
        await fs.unlink(breakPath).catch(() => undefined);
      }
    }
    const found = await readOwner(path);
    return { ok: false, held: true, owner: found?.owner };
  } catch (error) {
    return { ok: false, held: false, error: error as NodeJS.ErrnoException };
  }
}
