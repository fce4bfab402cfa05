// The OTLP export worker: receives plain-data batches from the main thread, rebuilds the
// objects the stock exporters take, and sends them with the stock OTLPMetricExporter /
// OTLPLogExporter (exporter-*-otlp-http), so URL, headers, timeout, compression, retries and
// every OTEL_EXPORTER_OTLP_* variable are handled by their code. Built as its own tsup entry
// (dist/otlp-worker.js, dist/otlp-worker.cjs); see worker-host.ts for how it is found.

import { format } from 'node:util';
import { parentPort } from 'node:worker_threads';
import type { DiagLogger } from '@opentelemetry/api';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { MainToWorker, WireExporterConfig, WorkerToMain } from './protocol.js';
import { toWireError } from './protocol.js';
import { rebuildLogRecords, rebuildResourceMetrics } from './rebuild.js';

type Registered =
  | { signal: 'metrics'; exporter: OTLPMetricExporter }
  | { signal: 'logs'; exporter: OTLPLogExporter }
  | { signal: 'metrics' | 'logs'; error: Error };

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

function register(msg: Extract<MainToWorker, { op: 'register' }>): void {
  const previous = exporters.get(msg.exporter);
  if (previous !== undefined && 'exporter' in previous) void previous.exporter.shutdown().catch(noop);
  try {
    applyOtelEnv(msg.env);
    const config = stockConfig(msg.config);
    exporters.set(
      msg.exporter,
      msg.signal === 'metrics'
        ? { signal: 'metrics', exporter: new OTLPMetricExporter(config) }
        : { signal: 'logs', exporter: new OTLPLogExporter(config) },
    );
  } catch (error) {
    exporters.set(msg.exporter, { signal: msg.signal, error: error as Error });
  }
}

function fail(id: number, error: unknown): void {
  post({ op: 'result', id, ok: false, error: toWireError(error) });
}

function exportBatch(msg: Extract<MainToWorker, { op: 'export' }>): void {
  const entry = exporters.get(msg.exporter);
  if (entry === undefined) return fail(msg.id, new Error('otel-health: OTLP exporter not registered in the worker'));
  if ('error' in entry) return fail(msg.id, entry.error);
  let answered = false;
  const done = (result: { code: ExportResultCode; error?: Error }) => {
    if (answered) return;
    answered = true;
    if (result.code === ExportResultCode.SUCCESS) post({ op: 'result', id: msg.id, ok: true });
    else fail(msg.id, result.error ?? new Error('OTLP export failed'));
  };
  try {
    if (msg.signal === 'metrics' && entry.signal === 'metrics') {
      entry.exporter.export(rebuildResourceMetrics(msg.payload), done);
    } else if (msg.signal === 'logs' && entry.signal === 'logs') {
      entry.exporter.export(rebuildLogRecords(msg.payload), done);
    } else {
      done({ code: ExportResultCode.FAILED, error: new Error(`otel-health: ${msg.signal} batch sent to a ${entry.signal} exporter`) });
    }
  } catch (error) {
    done({ code: ExportResultCode.FAILED, error: error as Error });
  }
}

async function shutdown(msg: Extract<MainToWorker, { op: 'shutdown' }>): Promise<void> {
  const entry = exporters.get(msg.exporter);
  exporters.delete(msg.exporter);
  try {
    if (entry !== undefined && 'exporter' in entry) await entry.exporter.shutdown();
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
