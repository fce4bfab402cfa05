// The one OTLP export worker of the process, shared by every WorkerMetricExporter and
// WorkerLogRecordExporter (also across the ESM and CJS builds of this package when both are
// loaded: the host lives on globalThis under a registry symbol).
//
// - Started lazily by the first export, unref()'d: it never keeps the process alive.
// - 'error' / 'exit' of the worker fail every pending request instead of reaching the host
//   application; the next request starts a new worker and re-registers the exporters on it.
// - Terminated when the last exporter using it has shut down.

import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { WORKER_EXIT_CODE } from './export-errors.js';
import type { ProtocolChoice } from './export-protocol.js';
import type { MainToWorker, Signal, WireExporterConfig, WireLogBatch, WireResourceMetrics, WorkerToMain } from './protocol.js';
import { fromWireError } from './protocol.js';

export type RequestResult = { ok: true } | { ok: false; error: Error };

export type ExportBody =
  | { signal: 'metrics'; payload: WireResourceMetrics }
  | { signal: 'logs'; payload: WireLogBatch };

interface Pending {
  exporter: number;
  settle(result: RequestResult): void;
}

interface ExporterEntry {
  signal: Signal;
  protocol: ProtocolChoice;
  config: WireExporterConfig;
  env: Record<string, string>;
  /** generation of the worker this exporter is registered on (0: none) */
  registeredOn: number;
}

/** Base name of the worker script: src/otlp/otlp-worker.ts in the source tree, and the
 * `otlp-worker` entry of tsup.config.ts (dist/otlp-worker.js, dist/otlp-worker.cjs). */
const WORKER_BASENAME = 'otlp-worker';

/** Used to load the TypeScript worker source (tests and development under tsx). */
const TSX_BOOTSTRAP = 'tsx-worker-bootstrap.mjs';

export interface WorkerScript {
  /** what to give `new Worker()` */
  url: URL;
  /** the otlp-worker script itself (equal to `url` unless bootstrapped) */
  script: URL;
  typescript: boolean;
}

/**
 * Where the worker script is: next to the module that starts it, with that module's own file
 * extension. `fromUrl` is this module's import.meta.url:
 *
 * - dist ESM: `dist/index.js` (or `dist/register.js`) → `dist/otlp-worker.js`
 * - dist CJS: `dist/index.cjs` → `dist/otlp-worker.cjs` (tsup `shims: true` makes
 *   import.meta.url the file URL of the .cjs bundle)
 * - source under tsx: `src/otlp/worker-host.ts` → `src/otlp/otlp-worker.ts`, started through
 *   `tsx-worker-bootstrap.mjs`, which registers tsx inside the worker first (on Node 20 an
 *   inherited `--import tsx` does not apply to a worker's entry module).
 *
 * If that file is missing the other extensions are tried, in the order .js, .cjs, .mjs, .ts.
 */
export function locateWorkerScript(fromUrl: string): WorkerScript {
  const own = extname(new URL(fromUrl).pathname);
  const candidates = [own, '.js', '.cjs', '.mjs', '.ts'].filter((ext, i, all) => ext !== '' && all.indexOf(ext) === i);
  const tried: string[] = [];
  for (const ext of candidates) {
    const script = new URL(`./${WORKER_BASENAME}${ext}`, fromUrl);
    tried.push(fileURLToPath(script));
    if (!existsSync(script)) continue;
    const typescript = ext === '.ts' || ext === '.mts' || ext === '.cts';
    if (!typescript) return { url: script, script, typescript };
    const bootstrap = new URL(`./${TSX_BOOTSTRAP}`, fromUrl);
    if (!existsSync(bootstrap)) continue;
    return { url: bootstrap, script, typescript };
  }
  throw new Error(
    `otel-health: the OTLP export worker script was not found (tried ${tried.join(', ')}). ` +
      'If otel-health is bundled into another file, ship dist/otlp-worker.js (or .cjs) next to that bundle.',
  );
}

// --- the worker's command line and environment -------------------------------------------

const PRELOAD_FLAGS = new Set(['--require', '-r', '--import', '--loader', '--experimental-loader']);

/** Flags of the host process worth keeping in the worker. Everything else is left out: the
 * host's preloads (`--import`, `--require`, e.g. an OTel auto-instrumentation or
 * `otel-health/register` itself) must not run in the exporter's thread, and many process
 * flags are rejected by `new Worker()`. */
const KEPT_FLAG_PREFIXES = [
  '--no-warnings',
  '--no-deprecation',
  '--disable-warning=',
  '--enable-source-maps',
  '--dns-result-order=',
  '--network-family-autoselection',
  '--no-network-family-autoselection',
];

export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => KEPT_FLAG_PREFIXES.some((p) => arg === p || (p.endsWith('=') && arg.startsWith(p))));
}

/** Split NODE_OPTIONS the way node does (whitespace separates, double quotes group, a
 * backslash escapes inside quotes), drop the preload flags and join the rest again. */
export function stripPreloadsFromNodeOptions(value: string): string {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) current += value[++i];
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') {
      quoted = true;
      inToken = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += c;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (PRELOAD_FLAGS.has(t)) {
      i++; // and its value
      continue;
    }
    const eq = t.indexOf('=');
    if (eq > 0 && PRELOAD_FLAGS.has(t.slice(0, eq))) continue;
    kept.push(t);
  }
  return kept.map((t) => (/[\s"\\]/.test(t) || t === '' ? `"${t.replace(/["\\]/g, '\\$&')}"` : t)).join(' ');
}

function workerEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (env.NODE_OPTIONS !== undefined) {
    const stripped = stripPreloadsFromNodeOptions(env.NODE_OPTIONS);
    if (stripped === '') delete env.NODE_OPTIONS;
    else env.NODE_OPTIONS = stripped;
  }
  return env;
}

/** The OTEL_* variables now: the stock exporter reads them when it is constructed, so each
 * worker-side exporter is constructed under the values its main-thread twin saw. */
export function otelEnvSnapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('OTEL_') && value !== undefined) out[key] = value;
  }
  return out;
}

// --- the host -------------------------------------------------------------------------------

function isDataCloneError(error: unknown): boolean {
  return error instanceof Error && error.name === 'DataCloneError';
}

export class OtlpWorkerHost {
  private worker: Worker | undefined;
  private generation = 0;
  private lastWorkerError: Error | undefined;
  private nextRequestId = 1;
  private nextExporterId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exporters = new Map<number, ExporterEntry>();
  private readonly moduleUrl: string;

  constructor(moduleUrl: string) {
    this.moduleUrl = moduleUrl;
  }

  /** Number of worker threads started so far (restarts included). */
  get startedWorkers(): number {
    return this.generation;
  }

  /** Exporters constructed and not shut down. */
  get exporterCount(): number {
    return this.exporters.size;
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** The live worker, if any (for tests that need to kill it). */
  get currentWorker(): Worker | undefined {
    return this.worker;
  }

  addExporter(signal: Signal, protocol: ProtocolChoice, config: WireExporterConfig, env: Record<string, string>): number {
    const id = this.nextExporterId++;
    this.exporters.set(id, { signal, protocol, config, env, registeredOn: 0 });
    return id;
  }

  /** Posts an export; resolves when the worker answers, exits, or failPending() is called.
   * `fallback` is asked for a cloneable payload when postMessage refuses the first one. */
  export(exporter: number, body: ExportBody, fallback: () => ExportBody): Promise<RequestResult> {
    return this.request(exporter, (id) => ({ op: 'export', id, exporter, ...body }) as MainToWorker, (id) => ({ op: 'export', id, exporter, ...fallback() }) as MainToWorker);
  }

  /** Shuts down this exporter's stock exporter in the worker (which flushes it). Resolves at
   * once when the worker does not hold that exporter. */
  shutdownExporter(exporter: number): Promise<RequestResult> {
    const entry = this.exporters.get(exporter);
    if (this.worker === undefined || entry === undefined || entry.registeredOn !== this.generation) {
      return Promise.resolve({ ok: true });
    }
    return this.request(exporter, (id) => ({ op: 'shutdown', id, exporter }));
  }

  /** Fails (and forgets) the pending requests of one exporter. */
  failPending(exporter: number, error: Error): void {
    for (const [id, p] of this.pending) {
      if (p.exporter === exporter) {
        this.pending.delete(id);
        p.settle({ ok: false, error });
      }
    }
    this.updateRef();
  }

  /** Forgets an exporter; terminates the worker when no exporter is left. */
  async removeExporter(exporter: number): Promise<void> {
    this.failPending(exporter, new Error('otel-health: OTLP exporter was shut down'));
    this.exporters.delete(exporter);
    if (this.exporters.size > 0 || this.worker === undefined) return;
    const worker = this.worker;
    this.worker = undefined;
    await worker.terminate().catch(() => undefined);
  }

  private request(
    exporter: number,
    build: (id: number) => MainToWorker,
    fallback?: (id: number) => MainToWorker,
  ): Promise<RequestResult> {
    const entry = this.exporters.get(exporter);
    if (entry === undefined) {
      return Promise.resolve({ ok: false, error: new Error('otel-health: OTLP exporter was shut down') });
    }
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (error) {
      return Promise.resolve({ ok: false, error: error as Error });
    }
    if (entry.registeredOn !== this.generation) {
      const register: MainToWorker = {
        op: 'register',
        exporter,
        signal: entry.signal,
        protocol: entry.protocol,
        config: entry.config,
        env: entry.env,
      };
      try {
        worker.postMessage(register);
      } catch (error) {
        return Promise.resolve({ ok: false, error: new Error(`otel-health: exporter options cannot be sent to the OTLP worker: ${String(error)}`) });
      }
      entry.registeredOn = this.generation;
    }
    const id = this.nextRequestId++;
    return new Promise<RequestResult>((resolve) => {
      try {
        try {
          worker.postMessage(build(id));
        } catch (error) {
          if (fallback === undefined || !isDataCloneError(error)) throw error;
          worker.postMessage(fallback(id));
        }
      } catch (error) {
        resolve({ ok: false, error: error as Error });
        return;
      }
      this.pending.set(id, { exporter, settle: resolve });
      this.updateRef();
    });
  }

  /** Keep the process alive exactly while some request waits for the worker's answer. */
  private updateRef(): void {
    const worker = this.worker;
    if (worker === undefined) return;
    if (this.pending.size > 0) worker.ref();
    else worker.unref();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const located = locateWorkerScript(this.moduleUrl);
    const options = {
      name: 'otel-health-otlp-export',
      env: workerEnv(),
      execArgv: workerExecArgv(process.execArgv),
      workerData: located.typescript ? { otelHealthWorkerScript: located.script.href } : undefined,
    };
    let worker: Worker;
    try {
      worker = new Worker(located.url, options);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
      const env = options.env;
      delete env.NODE_OPTIONS;
      worker = new Worker(located.url, { ...options, env, execArgv: [] });
    }
    this.generation++;
    this.worker = worker;
    this.lastWorkerError = undefined;
    worker.on('message', (msg: WorkerToMain) => this.onMessage(msg));
    // After the 'message' listener: adding the first one re-refs the worker's port, which would
    // keep an otherwise finished service alive. updateRef() holds the process only while a
    // request is in flight (bounded by the exporter's timeout), so a last export is not lost.
    worker.unref();
    worker.on('error', (error) => {
      if (worker === this.worker) this.lastWorkerError = error;
      diag.error('otel-health: OTLP export worker failed', error);
    });
    worker.on('messageerror', (error) => diag.error('otel-health: OTLP export worker sent an unreadable message', error));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return; // terminated on purpose; pending requests already settled
      this.worker = undefined;
      const reason = this.lastWorkerError;
      const error: Error & { code?: string } = new Error(
        reason !== undefined
          ? `otel-health: OTLP export worker crashed: ${reason.message}`
          : `otel-health: OTLP export worker exited with code ${code}`,
        reason !== undefined ? { cause: reason } : undefined,
      );
      // The next request starts a new worker: log redelivery may send these batches again.
      error.code = WORKER_EXIT_CODE;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.settle({ ok: false, error });
    });
    return worker;
  }

  private onMessage(msg: WorkerToMain): void {
    if (msg.op === 'result') {
      const p = this.pending.get(msg.id);
      if (p === undefined) return; // settled already (timed out, or its exporter shut down)
      this.pending.delete(msg.id);
      this.updateRef();
      p.settle(msg.ok ? { ok: true } : { ok: false, error: fromWireError(msg.error) });
    } else if (msg.op === 'diag') {
      diag[msg.level](`otel-health OTLP worker: ${msg.message}`);
    }
  }
}

const HOST_KEY = Symbol.for('otel-health.otlp-worker-host.v1');

/** The process-wide host (one per process even when the ESM and CJS builds are both loaded). */
export function getWorkerHost(): OtlpWorkerHost {
  const g = globalThis as { [HOST_KEY]?: OtlpWorkerHost };
  return (g[HOST_KEY] ??= new OtlpWorkerHost(import.meta.url));
}
