/**
 * The append-only record log under a store: one file, `<path>`, owned by one process at a time
 * (`<path>.lock`, see lock.ts).
 *
 * - **Open** reads the whole file: a foreign or damaged header, or damage longer than one write
 *   before the end, means the file is moved aside to `<path>.corrupt-<time>` with one warning,
 *   and a fresh file is started holding the records read before the damage. Damage no longer
 *   than one write at the end is a torn tail (a write cut short by SIGKILL or a crash): the file
 *   is truncated to its last whole record.
 * - **Append** frames the payload and queues it; one write at a time is in flight, queued
 *   records go out together in the next (at most MAX_WRITE_SIZE bytes). No sync I/O, no fsync:
 *   a record written is in the kernel's page cache, so it survives the process being killed; a
 *   power loss can lose the last seconds (the torn tail it leaves is truncated at the next open).
 * - **Rewrite** (compaction) writes a snapshot of the live records, deflated in blocks, to
 *   `<path>.compact`, fsyncs it, renames it over `<path>` and fsyncs the directory: a crash at
 *   any point leaves either the old file or the new one whole. Records appended meanwhile are
 *   held and written to the new file after the rename.
 * - **Faults**: any I/O error (ENOSPC, EROFS, EACCES, ENOTDIR, …) turns the log off: it is
 *   reported once, counted, and later appends are counted as dropped. Nothing is thrown.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  FRAME_SIZE,
  HEADER_SIZE,
  MAX_RECORD_SIZE,
  MAX_WRITE_SIZE,
  RecordKind,
  checkHeader,
  encodeHeader,
  frame,
  recordAfter,
  scanRecords,
} from './format.js';
import { DEFAULT_STALE_MS, acquireLock, type StoreLock } from './lock.js';

const deflateRaw = promisify(zlib.deflateRaw);
/** Raw bytes of records per compacted block. */
const BLOCK_BYTES = 256 * 1024;
/** Raw bytes framed per turn of the event loop while compacting. */
const SLICE_BYTES = 32 * 1024;

/** Something the store tells its owner: a warning (reported once per kind) or a note. */
export interface StoreReport {
  level: 'warn' | 'info';
  /** `corrupt`: moved aside; `off`: persistence stopped; `locked`: another process owns the path; `torn`: tail truncated. */
  kind: 'corrupt' | 'off' | 'locked' | 'torn';
  message: string;
  error?: unknown;
}

export interface RecordLogOptions {
  /** Where reports go. */
  onReport: (report: StoreReport) => void;
  /** Lock staleness (ms). Default 120 000. */
  lockStaleMs?: number;
  /** Wall clock (ms). */
  now: () => number;
}

export interface RecordLogStats {
  /** Persisting (false: off, or never opened). */
  on: boolean;
  /** Bytes of the file (as far as this process wrote it). */
  fileBytes: number;
  /** Records appended (written or queued) since open. */
  appended: number;
  /** write() calls since open. */
  writes: number;
  /** Records not persisted because the log was off. */
  dropped: number;
  /** I/O errors seen. */
  faults: number;
  /** Bytes of torn tail truncated at open. */
  tornBytes: number;
  /** Files moved aside at open. */
  movedAside: number;
  /** Compactions done. */
  compactions: number;
  /** Bytes appended since the last compaction (or open). */
  bytesSinceCompaction: number;
  /** File size right after the last compaction (or at open). */
  bytesAtCompaction: number;
}

export interface OpenResult {
  log: RecordLog;
  /** The payloads of the file's whole records, blocks expanded, in order. */
  payloads: Buffer[];
}

function expand(payloads: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const p of payloads) {
    if (p[0] !== RecordKind.Block) {
      out.push(p);
      continue;
    }
    const raw = zlib.inflateRawSync(p.subarray(1));
    const scan = scanRecords(raw, 0, false); // the block's own CRC covered these bytes
    if (scan.end !== raw.length) throw new Error('a compacted block holds a damaged record');
    for (const inner of scan.payloads) out.push(inner);
  }
  return out;
}

/**
 * Whether the bytes from `end` (where whole records stop) are a write cut short: a frame that
 * runs past the end of the file (or zeros, as a crash can leave), no longer than one write, with
 * no whole record after it. A frame that fits in the file but fails its CRC, or whole records
 * after the damage, mean the file was damaged, not torn.
 */
function isTornTail(buf: Buffer, end: number): boolean {
  const damaged = buf.length - end;
  if (damaged > MAX_WRITE_SIZE + FRAME_SIZE) return false;
  if (damaged >= FRAME_SIZE) {
    const length = buf.readUInt32LE(end);
    if (length !== 0 && end + FRAME_SIZE + length <= buf.length) return false;
  }
  return recordAfter(buf, end) === undefined;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // some platforms cannot fsync a directory: the rename is still atomic
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export class RecordLog {
  private handle: fs.FileHandle | undefined;
  private lock: StoreLock | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  private compacting = false;
  private idleWaiters: (() => void)[] = [];
  private readonly reported = new Set<StoreReport['kind']>();
  private readonly counters: RecordLogStats = {
    on: false,
    fileBytes: 0,
    appended: 0,
    writes: 0,
    dropped: 0,
    faults: 0,
    tornBytes: 0,
    movedAside: 0,
    compactions: 0,
    bytesSinceCompaction: 0,
    bytesAtCompaction: 0,
  };

  private constructor(
    readonly path: string,
    private readonly options: RecordLogOptions,
  ) {}

  get on(): boolean {
    return this.counters.on;
  }

  stats(): RecordLogStats {
    return { ...this.counters };
  }

  private report(report: StoreReport): void {
    if (report.level === 'warn') {
      if (this.reported.has(report.kind)) return;
      this.reported.add(report.kind);
    }
    try {
      this.options.onReport(report);
    } catch {
      // a throwing reporter must not take the store down
    }
  }

  /** Stop persisting after an I/O error: reported once, counted. */
  private fault(what: string, error: unknown): void {
    this.counters.faults++;
    if (!this.counters.on) return;
    this.counters.on = false;
    this.counters.dropped += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    const code = (error as NodeJS.ErrnoException)?.code;
    this.report({
      level: 'warn',
      kind: 'off',
      message:
        `otel-health store: ${what} ${this.path} failed (${code ?? (error as Error)?.message ?? error}); ` +
        'history and alert state are kept in memory only until the process restarts',
      error,
    });
    const handle = this.handle;
    this.handle = undefined;
    const lock = this.lock;
    this.lock = undefined;
    this.released = Promise.all([handle?.close().catch(() => undefined), lock?.release()]).then(() => undefined);
    this.settle();
  }

  /** The file handle's close and the lock's release after a fault (close() waits for them). */
  private released: Promise<void> = Promise.resolve();

  /** Open (creating it if absent) the log at `file`. Never throws: a failure leaves it off. */
  static async open(file: string, options: RecordLogOptions): Promise<OpenResult> {
    const log = new RecordLog(file, options);
    let payloads: Buffer[] = [];
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const locked = await acquireLock(`${file}.lock`, { staleMs: options.lockStaleMs ?? DEFAULT_STALE_MS, now: options.now });
      if (!locked.ok) {
        if (locked.held) {
          const owner = locked.owner;
          log.report({
            level: 'warn',
            kind: 'locked',
            message:
              `otel-health store: ${file} is in use by ${owner ? `pid ${owner.pid} on ${owner.host}` : 'another process'}; ` +
              'this process keeps its history in memory only (give each process its own store path)',
          });
          return { log, payloads };
        }
        throw locked.error;
      }
      log.lock = locked.lock;
      await fs.unlink(`${file}.compact`).catch(() => undefined); // a compaction cut short
      let buf: Buffer | undefined;
      try {
        buf = await fs.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      log.counters.on = true;
      if (buf === undefined) {
        await log.writeFresh([]);
      } else {
        payloads = await log.load(buf);
      }
      if (log.counters.on) {
        log.handle = await fs.open(file, 'a');
        log.counters.bytesAtCompaction = log.counters.fileBytes;
      }
    } catch (error) {
      log.counters.on = true; // so fault() reports it
      log.fault('opening', error);
    }
    return { log, payloads };
  }

  /** Parse a file read at open; repairs or moves it aside as needed. */
  private async load(buf: Buffer): Promise<Buffer[]> {
    const header = checkHeader(buf);
    if (!header.ok) {
      await this.moveAside(header.reason, []);
      return [];
    }
    const scan = scanRecords(buf, HEADER_SIZE);
    let payloads: Buffer[];
    try {
      payloads = expand(scan.payloads);
    } catch (error) {
      await this.moveAside(`unreadable: ${(error as Error).message}`, []);
      return [];
    }
    const damaged = buf.length - scan.end;
    if (damaged > 0 && !isTornTail(buf, scan.end)) {
      await this.moveAside(`damaged at byte ${scan.end} of ${buf.length}`, payloads);
      return payloads;
    }
    if (damaged > 0) {
      await fs.truncate(this.path, scan.end);
      this.counters.tornBytes += damaged;
      this.report({ level: 'info', kind: 'torn', message: `otel-health store: truncated a torn tail of ${damaged} bytes from ${this.path}` });
    }
    this.counters.fileBytes = scan.end;
    return payloads;
  }

  private async moveAside(reason: string, recovered: Buffer[]): Promise<void> {
    const aside = `${this.path}.corrupt-${stamp(this.options.now())}`;
    await fs.rename(this.path, aside);
    this.counters.movedAside++;
    this.report({
      level: 'warn',
      kind: 'corrupt',
      message:
        `otel-health store: ${this.path} is ${reason}; moved it to ${aside} and started a fresh store` +
        (recovered.length > 0 ? ` with the ${recovered.length} records read before the damage` : ''),
    });
    await this.writeFresh(recovered);
  }

  /** Write `payloads` as the whole file: temp file, fsync, rename, fsync of the directory. */
  private async writeFresh(payloads: readonly Buffer[]): Promise<void> {
    const tmp = `${this.path}.compact`;
    const handle = await fs.open(tmp, 'w');
    let size = HEADER_SIZE;
    try {
      await handle.write(encodeHeader());
      let block: Buffer[] = [];
      let blockBytes = 0;
      const flushBlock = async (): Promise<void> => {
        if (block.length === 0) return;
        const raw = Buffer.concat(block, blockBytes);
        block = [];
        blockBytes = 0;
        const deflated = await deflateRaw(raw);
        const record = frame(Buffer.concat([Buffer.of(RecordKind.Block), deflated]));
        await handle.write(record);
        size += record.length;
        await nextTurn(); // keep each turn of the event loop short
      };
      let sliceBytes = 0;
      for (const p of payloads) {
        const framed = frame(p);
        block.push(framed);
        blockBytes += framed.length;
        sliceBytes += framed.length;
        if (blockBytes >= BLOCK_BYTES) {
          await flushBlock();
          sliceBytes = 0;
        } else if (sliceBytes >= SLICE_BYTES) {
          sliceBytes = 0;
          await nextTurn(); // framing (CRC, copies) in slices: each turn of the event loop stays short
        }
      }
      await flushBlock();
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    await fs.rename(tmp, this.path);
    await fsyncDir(path.dirname(this.path));
    this.counters.fileBytes = size;
  }

  /** Queue a payload (kind byte first) for appending. false when the log is off (counted as dropped). */
  append(payload: Buffer): boolean {
    if (!this.counters.on) {
      this.counters.dropped++;
      return false;
    }
    if (payload.length > MAX_RECORD_SIZE) {
      this.counters.dropped++;
      this.report({ level: 'info', kind: 'off', message: `otel-health store: a record of ${payload.length} bytes is over the ${MAX_RECORD_SIZE}-byte limit; not stored` });
      return false;
    }
    const record = frame(payload);
    this.queue.push(record);
    this.queuedBytes += record.length;
    this.counters.appended++;
    if (!this.writing && !this.compacting) void this.pump();
    return true;
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.compacting && this.handle !== undefined) {
        let take = 0;
        let bytes = 0;
        while (take < this.queue.length && (take === 0 || bytes + this.queue[take]!.length <= MAX_WRITE_SIZE)) {
          bytes += this.queue[take]!.length;
          take++;
        }
        const parts = this.queue.splice(0, take);
        this.queuedBytes -= bytes;
        const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done);
          if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
          done += bytesWritten;
        }
        this.counters.writes++;
        this.counters.fileBytes += chunk.length;
        this.counters.bytesSinceCompaction += chunk.length;
      }
    } catch (error) {
      this.fault('writing', error);
    } finally {
      this.writing = false;
      this.settle();
    }
  }

  private settle(): void {
    if (this.writing || (this.queue.length > 0 && this.counters.on && !this.compacting)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when every queued record is written (or the log went off). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.compactionDone !== undefined) {
        await this.compactionDone;
        continue;
      }
      if (!this.writing && (this.queue.length === 0 || !this.counters.on)) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private compactionDone: Promise<void> | undefined;

  get isCompacting(): boolean {
    return this.compacting;
  }

  /**
   * Replace the file by `snapshot()`'s records. `snapshot` is called synchronously, now: it must
   * return every live record, including those appended and not yet written (they are dropped
   * from the queue). Records appended after the call are written to the new file.
   */
  rewrite(snapshot: () => Buffer[]): Promise<void> {
    if (!this.counters.on || this.compacting) return this.compactionDone ?? Promise.resolve();
    this.compacting = true;
    const payloads = snapshot();
    this.queue = [];
    this.queuedBytes = 0;
    const run = async (): Promise<void> => {
      try {
        while (this.writing) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        if (!this.counters.on) return;
        await this.writeFresh(payloads);
        const old = this.handle;
        this.handle = await fs.open(this.path, 'a');
        await old?.close().catch(() => undefined);
        this.counters.compactions++;
        this.counters.bytesSinceCompaction = 0;
        this.counters.bytesAtCompaction = this.counters.fileBytes;
      } catch (error) {
        this.fault('compacting', error);
      } finally {
        this.compacting = false;
        this.compactionDone = undefined;
        if (this.queue.length > 0 && this.counters.on) void this.pump();
        else this.settle();
      }
    };
    this.compactionDone = run();
    return this.compactionDone;
  }

  /** Write what is queued, fsync, close, release the lock. Never throws. */
  async close(): Promise<void> {
    try {
      if (this.compactionDone) await this.compactionDone;
      await this.flush();
      if (this.handle !== undefined) {
        await this.handle.datasync();
        await this.handle.close();
      }
    } catch (error) {
      this.fault('closing', error);
    } finally {
      this.handle = undefined;
      this.counters.on = false;
      await this.lock?.release();
      this.lock = undefined;
      await this.released;
    }
  }
}
