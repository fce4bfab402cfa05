// The channel from one exporter to the shared OTLP export worker (worker-host.ts): the
// `maxQueue` bound and its drop count, the batches in flight, and forceFlush()/shutdown()
// bounded by `shutdownTimeoutMillis`. The main thread only projects a batch onto plain data
// (serialize.ts) and postMessage()s a copy; serialization and the HTTP request happen in the
// worker, so no outbound request is ever made from the main thread.

import type { Exception } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode, globalErrorHandler } from '@opentelemetry/core';
import { isUnsupportedMediaType } from './export-errors.js';
import type { ProtocolChoice } from './export-protocol.js';
import { EXPORTER_MISSING_CODE, isExporterInstalled, missingExporterMessage } from './exporter-packages.js';
import { unsupportedMediaTypeMessage } from './media-type-diagnostic.js';
import type { WorkerExporterOptions } from './options.js';
import { resolveChannelOptions, toWireConfig } from './options.js';
import type { Signal } from './protocol.js';
import type { ExportBody, OtlpWorkerHost, RequestResult } from './worker-host.js';
import { getWorkerHost, otelEnvSnapshot } from './worker-host.js';

/** Resolves true when `promise` settled within `ms`, false on timeout. The timer is ref'd on
 * purpose: an awaited flush or shutdown keeps the process alive until it ends or times out. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/** An export callback that never throws into the exporter (a throwing callback goes to the
 * global error handler instead). */
export function safely(resultCallback: (result: ExportResult) => void): (result: ExportResult) => void {
  return (result) => {
    try {
      resultCallback(result);
    } catch (error) {
      globalErrorHandler(error as Exception);
    }
  };
}

/** console.warn that never throws: the 415 diagnostic must reach the user even when no diag
 * logger is set (the OTel default), and must never break an export. */
function warnLine(line: string): void {
  try {
    console.warn(line);
  } catch {
    // nowhere to report
  }
}

/** Batches an exporter holds beyond the worker's in-flight requests (the log redelivery
 * queue): forceFlush() and shutdown() give them their chance within the same bound. */
export interface Backlog {
  readonly active: boolean;
  /** Try now; resolve when empty or after an attempt failed. */
  flush(): Promise<void>;
  /** Keep trying until empty (or close()). */
  drain(): Promise<void>;
  /** Give up on what is left (counted as dropped). */
  close(): number;
}

/** What both exporters share: queue bound, drop count, flush and shutdown with a bound. */
export class ExportChannel {
  private readonly host: OtlpWorkerHost;
  private readonly id: number;
  private readonly maxQueue: number;
  private readonly shutdownTimeoutMillis: number;
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;
  private dropping = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly signal: Signal;
  private unsupportedMediaTypeReported = false;
  private missingExporterReported = false;
  /** The exporter's protocol and what chose it. */
  readonly protocol: ProtocolChoice;
  /** Set by an exporter that keeps batches of its own (WorkerLogRecordExporter). */
  backlog: Backlog | undefined;

  constructor(signal: Signal, options: WorkerExporterOptions) {
    this.signal = signal;
    // Checked before this exporter is registered with the shared worker.
    const resolved = resolveChannelOptions(signal, options);
    this.maxQueue = resolved.maxQueue;
    this.shutdownTimeoutMillis = resolved.shutdownTimeoutMillis;
    this.protocol = resolved.protocol;
    this.host = getWorkerHost();
    this.id = this.host.addExporter(signal, resolved.protocol, toWireConfig(options), otelEnvSnapshot());
    // A protocol whose package is missing (the gRPC exporters are optional peers) is said at
    // construction, i.e. at start-up, rather than at the first export a minute later.
    if (!isExporterInstalled(signal, resolved.protocol.protocol)) {
      this.missingExporterReported = true;
      warnLine(missingExporterMessage(signal, resolved.protocol.protocol, resolved.protocol.source));
    }
  }

  /** Batches dropped because `maxQueue` batches were already waiting for the worker. */
  get droppedBatches(): number {
    return this.dropped;
  }

  /** Batches handed to the worker and not answered yet. */
  get pendingBatches(): number {
    return this.inFlight.size;
  }

  /** True once shutdown() or abandon() was called: exports then fail at once. */
  get isShutdown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  send(build: () => ExportBody, fallback: () => ExportBody, resultCallback: (result: ExportResult) => void): void {
    const callback = safely(resultCallback);
    if (this.shutdownPromise !== undefined) {
      callback({ code: ExportResultCode.FAILED, error: new Error('Exporter has been shutdown') });
      return;
    }
    if (this.inFlight.size >= this.maxQueue) {
      this.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        diag.warn(`otel-health: OTLP ${this.signal} export queue is full (maxQueue ${this.maxQueue}); dropping batches`);
      }
      callback({ code: ExportResultCode.FAILED, error: new Error(`otel-health: OTLP ${this.signal} export queue full (maxQueue ${this.maxQueue}); batch dropped`) });
      return;
    }
    this.dropping = false;
    let body: ExportBody;
    try {
      body = build();
    } catch (error) {
      callback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    const done = this.host.export(this.id, body, fallback).then((result) => {
      this.inFlight.delete(done);
      if (!result.ok) this.noteFailure(result.error);
      callback(result.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: result.error });
    });
    this.inFlight.add(done);
  }

  /** Sends a batch again, outside the `maxQueue` accounting (the backlog bounds itself). */
  resend(body: ExportBody, fallback: () => ExportBody): Promise<RequestResult> {
    return this.host.export(this.id, body, fallback).then((result) => {
      if (!result.ok) this.noteFailure(result.error);
      return result;
    });
  }

  /** A 415 (or a missing exporter package) means every export of this exporter will be refused the same way: say so once,
   * loudly, with the content type and the variable that changes it. */
  private noteFailure(error: Error): void {
    if ((error as { code?: unknown }).code === EXPORTER_MISSING_CODE && !this.missingExporterReported) {
      this.missingExporterReported = true;
      warnLine(error.message);
    }
    if (this.unsupportedMediaTypeReported || !isUnsupportedMediaType(error)) return;
    this.unsupportedMediaTypeReported = true;
    warnLine(unsupportedMediaTypeMessage(this.signal, this.protocol));
  }

  /** Waits for the batches handed to the worker so far, and gives the backlog an attempt now,
   * at most `shutdownTimeoutMillis`. */
  async forceFlush(): Promise<void> {
    if (this.inFlight.size === 0 && this.backlog?.active !== true) return;
    const work = (async () => {
      await Promise.all([...this.inFlight]);
      await this.backlog?.flush();
    })();
    if (!(await within(work, this.shutdownTimeoutMillis))) {
      diag.warn(`otel-health: OTLP ${this.signal} forceFlush gave up after ${this.shutdownTimeoutMillis} ms`);
    }
  }

  /** Flushes, stops this exporter in the worker and, when it was the worker's last exporter,
   * terminates the worker; resolves within `shutdownTimeoutMillis` even when the endpoint
   * hangs (still-pending batches then get FAILED). */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  /**
   * Stop now: fail every batch still waiting and release the worker, without the graceful flush
   * of shutdown(). For a caller whose own shutdown bound has run out.
   */
  abandon(): Promise<void> {
    this.backlog?.close();
    this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} export abandoned at shutdown`));
    this.shutdownPromise ??= within(this.host.removeExporter(this.id), 1000).then(() => undefined);
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMillis;
    const graceful = (async () => {
      await Promise.all([...this.inFlight]);
      // A batch that failed transiently just now has joined the backlog: drain it too.
      await this.backlog?.drain();
      await this.host.shutdownExporter(this.id);
    })();
    if (!(await within(graceful, this.shutdownTimeoutMillis))) {
      diag.warn(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`);
      // First the backlog (what it still holds is counted as dropped, and the result of its
      // attempt in flight ignored), then the requests still waiting for the worker.
      this.backlog?.close();
      this.host.failPending(this.id, new Error(`otel-health: OTLP ${this.signal} exporter shutdown timed out after ${this.shutdownTimeoutMillis} ms`));
    }
    this.backlog?.close(); // drained by now, unless timed out above: leaves no timer behind
    // Terminating the worker normally takes a few ms; keep the overall bound regardless.
    await within(this.host.removeExporter(this.id), Math.max(0, deadline - Date.now()));
  }
}
