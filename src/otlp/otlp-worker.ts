// The OTLP export worker: receives plain-data batches from the main thread, rebuilds the
// objects the stock exporters take, and sends them with the stock OTLPMetricExporter /
// OTLPLogExporter of each exporter's protocol (stock-exporters.ts: exporter-*-otlp-proto,
// -http or -grpc), so URL, headers, timeout, compression, retries and every
// OTEL_EXPORTER_OTLP_* variable are handled by their code. Built as its own tsup entry
// (dist/otlp-worker.js, dist/otlp-worker.cjs); see worker-host.ts for how it is found.

import { format } from 'node:util';
import { parentPort } from 'node:worker_threads';
import type { DiagLogger } from '@opentelemetry/api';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { grpcStatusCode } from './export-errors.js';
import type { OtlpProtocol } from './export-protocol.js';
import type { MainToWorker, Signal, WireExporterConfig, WorkerToMain } from './protocol.js';
import { toWireError } from './protocol.js';
import { rebuildLogRecords, rebuildResourceMetrics } from './rebuild.js';
import type { StockLogExporter, StockMetricExporter } from './stock-exporters.js';
import { createStockExporter } from './stock-exporters.js';

/** An exporter of the main thread, as built here: the stock exporter is loaded asynchronously
 * (its package is imported on first use), so batches wait on `ready`, in the order they came. */
interface Registered {
  signal: Signal;
  protocol: OtlpProtocol;
  ready: Promise<StockMetricExporter | StockLogExporter>;
}

const port = parentPort;
if (port === null) throw new Error('otel-health: otlp-worker must be started as a worker thread');

function post(msg: WorkerToMain): void {
  port!.postMessage(msg);
}

// The stock exporters report through the OTel diag API; this thread has its own API globals,
// so forward error / warn / info to the main thread's diag logger.
function forward(level: 'error' | 'warn' | 'info') {
  return (message: string, ...args: unknown[]) => {
    try {
      post({ op: 'diag', level, message: format(message, ...args) });
    } catch {
      // never let logging break an export
    }
  };
}
const noop = () => undefined;
const forwardingLogger: DiagLogger = {
  error: forward('error'),
  warn: forward('warn'),
  info: forward('info'),
  debug: noop,
  verbose: noop,
};
diag.setLogger(forwardingLogger, { logLevel: DiagLogLevel.INFO, suppressOverrideMessage: true });

const exporters = new Map<number, Registered>();

/** Options as the stock exporter takes them: only the keys the user set (an explicit
 * `undefined` must not shadow the environment). */
function stockConfig(config: WireExporterConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined) out[key] = value;
  return out;
}

/** Makes this thread's OTEL_* variables those of the main thread when its exporter was built. */
function applyOtelEnv(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_') && !(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

/** Registrations are built one after the other: each stock exporter reads process.env when it
 * is constructed, after an await, so the next registration's applyOtelEnv must wait for it. */
let building: Promise<unknown> = Promise.resolve();

function register(msg: Extract<MainToWorker, { op: 'register' }>): void {
  const previous = exporters.get(msg.exporter);
  if (previous !== undefined) void previous.ready.then((e) => e.shutdown()).catch(noop);
  const ready = building.then(() => {
    applyOtelEnv(msg.env);
    return createStockExporter(msg.signal, msg.protocol.protocol, msg.protocol.source, stockConfig(msg.config));
  });
  building = ready.catch(noop);
  ready.catch(noop); // reported with each batch (exportBatch), never as an unhandled rejection
  exporters.set(msg.exporter, { signal: msg.signal, protocol: msg.protocol.protocol, ready });
}

/** A gRPC status arrives as a numeric `code`, which the main thread would read as an HTTP
 * status: rename it (`GRPC_UNAVAILABLE`, …) before it crosses. */
function asReported(protocol: OtlpProtocol, error: unknown): unknown {
  if (protocol !== 'grpc' || !(error instanceof Error)) return error;
  const code = grpcStatusCode((error as Error & { code?: unknown }).code);
  if (code === undefined) return error;
  const renamed: Error & { code?: string } = new Error(error.message);
  renamed.name = error.name;
  if (error.stack !== undefined) renamed.stack = error.stack;
  renamed.code = code;
  return renamed;
}

function fail(id: number, error: unknown): void {
  post({ op: 'result', id, ok: false, error: toWireError(error) });
}

function exportBatch(msg: Extract<MainToWorker, { op: 'export' }>): void {
  const entry = exporters.get(msg.exporter);
  if (entry === undefined) return fail(msg.id, new Error('otel-health: OTLP exporter not registered in the worker'));
  let answered = false;
  const done = (result: { code: ExportResultCode; error?: Error }) => {
    if (answered) return;
    answered = true;
    if (result.code === ExportResultCode.SUCCESS) post({ op: 'result', id: msg.id, ok: true });
    else fail(msg.id, asReported(entry.protocol, result.error ?? new Error('OTLP export failed')));
  };
  entry.ready.then(
    (exporter) => {
      try {
        if (msg.signal !== entry.signal) {
          done({ code: ExportResultCode.FAILED, error: new Error(`otel-health: ${msg.signal} batch sent to a ${entry.signal} exporter`) });
        } else if (msg.signal === 'metrics') {
          (exporter as StockMetricExporter).export(rebuildResourceMetrics(msg.payload), done);
        } else {
          (exporter as StockLogExporter).export(rebuildLogRecords(msg.payload), done);
        }
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    },
    (error: unknown) => done({ code: ExportResultCode.FAILED, error: error as Error }),
  );
}

async function shutdown(msg: Extract<MainToWorker, { op: 'shutdown' }>): Promise<void> {
  const entry = exporters.get(msg.exporter);
  exporters.delete(msg.exporter);
  try {
    const exporter = await entry?.ready.catch(() => undefined);
    if (exporter !== undefined) await exporter.shutdown();
    post({ op: 'result', id: msg.id, ok: true });
  } catch (error) {
    fail(msg.id, error);
  }
}

port.on('message', (msg: MainToWorker) => {
  try {
    switch (msg.op) {
      case 'register':
        return register(msg);
      case 'export':
        return exportBatch(msg);
      case 'shutdown':
        return void shutdown(msg);
    }
  } catch (error) {
    if ('id' in msg) fail(msg.id, error);
  }
});
