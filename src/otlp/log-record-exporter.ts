// The LogRecordExporter that hands every batch to the shared OTLP export worker
// (export-channel.ts, worker-host.ts) and keeps transiently failed batches for redelivery
// (redelivery.ts).

import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { exportErrorLabel, isWorthKeeping } from './export-errors.js';
import { safely } from './export-channel.js';
import { WorkerExporterBase } from './exporter-base.js';
import type { WorkerLogRecordExporterOptions } from './options.js';
import type { WireLogBatch } from './protocol.js';
import type { Attempt } from './redelivery.js';
import { RedeliveryQueue, resolveRedeliveryOptions } from './redelivery.js';
import type { RequestResult } from './worker-host.js';
import { toCloneable, wireLogBatch } from './serialize.js';

function dropOldestRecords(batch: WireLogBatch, n: number): WireLogBatch {
  // Resources and scopes no record points to any more are left: the transformer groups by
  // the records', so they do not reach the request.
  return { resources: batch.resources, scopes: batch.scopes, records: batch.records.slice(n) };
}

function attemptOf(result: RequestResult): Attempt {
  if (result.ok) return { outcome: 'delivered' };
  // A 415 is kept like a transient failure (see isWorthKeeping): never dropped quietly.
  if (isWorthKeeping(result.error)) return { outcome: 'transient' };
  return { outcome: 'permanent', label: exportErrorLabel(result.error) };
}

/**
 * OTLP log record exporter whose serialization and sending run in a worker thread, through the
 * stock `OTLPLogExporter` of the chosen protocol (`protocol` option, else
 * `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`:
 * exporter-logs-otlp-proto, -http (`http/json`) or -grpc). Use it like the stock exporter, e.g. with a
 * `BatchLogRecordProcessor`.
 *
 * The shared worker is unref()'d, so a pending export() does not keep the process alive by
 * itself (the SDK's readers and processors hold their own export timers while they wait);
 * forceFlush() and shutdown() do, for at most `shutdownTimeoutMillis`.
 *
 * **Collector outages (redelivery).** The stock exporter retries a failed request only within
 * one export's `timeoutMillis`. Alert records are few and worth more, so a batch that still
 * fails *transiently* — connection refused or reset, DNS failure, timeout, HTTP 408, 429 or any
 * 5xx (500 included, on purpose, beyond the OTLP specification's 429/502/503/504; see
 * export-errors.ts) — is kept in a bounded queue in this thread and sent again later:
 *
 * - While the queue holds anything, new batches join its tail without a request of their own
 *   (order kept; an endpoint that is away gets one request at a time). One attempt at a time
 *   retries the oldest batch, after `initialBackoffMillis` (default 1 s), doubling per failure up
 *   to `maxBackoffMillis` (default 30 s), minus up to 20 % jitter. After a success the queue
 *   drains in order, one request after the other.
 * - Retry-After: the stock exporter honours it inside its own retries when it fits in the
 *   export's timeout, but does not hand it on when it gives up; the queue's backoff applies then.
 * - At most `maxRecords` (default 2048) records are kept; beyond it the oldest are dropped:
 *   the newest alert state matters most.
 * - A permanent failure (another 4xx such as 400, 401, 413; a local error) is not retried: the
 *   batch is dropped and counted; on a first attempt its callback gets FAILED as before.
 * - A 415 (the endpoint does not take this protocol's content type) is reported once on stderr,
 *   naming the content type and the variable to set, and its batches are kept like a transient
 *   failure's: no alert record is dropped quietly for it.
 * - gRPC: the retryable statuses (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, …, and
 *   UNKNOWN / INTERNAL like HTTP 500) are transient; the others (UNAUTHENTICATED,
 *   INVALID_ARGUMENT, UNIMPLEMENTED, …) permanent.
 * - The first drop of an outage is reported once through `diag.warn`; the rest are counted
 *   until an export succeeds again. Neither URLs nor header values are logged.
 * - forceFlush() retries the queue at once and stops at the first transient failure;
 *   shutdown() keeps retrying (first at once, then from `initialBackoffMillis`) within
 *   `shutdownTimeoutMillis` and counts what is left as dropped, as does abandon().
 * - Delivery is at least once: an attempt that timed out may have reached the collector and
 *   is sent again. The queue lives in memory: a process that exits without shutdown() loses it.
 * - Its retry timer is unref()'d: between attempts nothing holds the process or the worker; an
 *   attempt in flight holds it like any export, for at most `timeoutMillis`.
 *
 * The export callback of a batch that goes to the queue reports SUCCESS: the queue has taken
 * ownership of the records. The SDK's BatchLogRecordProcessor never retries a FAILED batch (it
 * only logs the error and moves on), so SUCCESS duplicates nothing; it keeps the processor
 * sending its next batches (which join the queue at once, instead of filling the processor's
 * own buffer, which drops the newest records when full) and avoids one error log per batch of
 * an outage. The records' fate is then in the counters below.
 *
 * Counters (read them on the main thread at any time):
 * - `droppedLogRecords`: records given up on, for any reason: over `maxRecords`, refused
 *   permanently, still queued at shutdown()/abandon(), exported after shutdown, or in a batch
 *   refused by `maxQueue`; without redelivery, every record of a FAILED batch.
 * - `pendingRedelivery`: records waiting in the queue (its attempt in flight included).
 * - `redeliveredLogRecords`: records delivered by a retry of the queue.
 * - `droppedBatches` (unchanged): batches refused because `maxQueue` first attempts were
 *   already waiting for the worker; queued batches do not count towards `maxQueue`.
 * - `pendingBatches` (unchanged): first attempts handed to the worker and not answered yet.
 */
export class WorkerLogRecordExporter extends WorkerExporterBase implements LogRecordExporter {
  private readonly queue: RedeliveryQueue<WireLogBatch> | undefined;
  /** Export order, for the queue: a batch whose first attempt failed goes back to its place. */
  private nextSeq = 0;
  /** Records of FAILED batches, when redelivery is off. */
  private failedRecords = 0;

  constructor(options: WorkerLogRecordExporterOptions = {}) {
    // Checked before the channel registers this exporter with the shared worker.
    const redelivery = options.redelivery === false ? undefined : resolveRedeliveryOptions(options.redelivery ?? {});
    super('logs', options);
    if (redelivery !== undefined) {
      const queue = new RedeliveryQueue<WireLogBatch>(
        {
          send: (batch) =>
            this.channel
              .resend({ signal: 'logs', payload: batch }, () => ({ signal: 'logs', payload: toCloneable(batch) as WireLogBatch }))
              .then(attemptOf),
          count: (batch) => batch.records.length,
          dropOldest: dropOldestRecords,
        },
        redelivery,
        { what: 'log records' },
      );
      this.queue = queue;
      this.channel.backlog = queue;
    }
  }

  /** Log records given up on (see the class comment). */
  get droppedLogRecords(): number {
    return (this.queue?.droppedRecords ?? 0) + this.failedRecords;
  }

  /** Log records waiting for redelivery. */
  get pendingRedelivery(): number {
    return this.queue?.pendingRecords ?? 0;
  }

  /** Log records delivered by a retry after their first attempt failed. */
  get redeliveredLogRecords(): number {
    return this.queue?.redeliveredRecords ?? 0;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const queue = this.queue;
    if (queue === undefined) {
      this.channel.send(
        () => ({ signal: 'logs', payload: wireLogBatch(logs) }),
        () => ({ signal: 'logs', payload: toCloneable(wireLogBatch(logs)) as ReturnType<typeof wireLogBatch> }),
        (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.failedRecords += logs.length;
          resultCallback(result);
        },
      );
      return;
    }
    const seq = this.nextSeq++;
    if (queue.active && !this.channel.isShutdown) {
      // The endpoint is away: join the queue instead of sending a request of its own.
      const callback = safely(resultCallback);
      let payload: WireLogBatch;
      try {
        payload = wireLogBatch(logs);
      } catch (error) {
        queue.countDropped(logs.length, 'the batch could not be read');
        callback({ code: ExportResultCode.FAILED, error: error as Error });
        return;
      }
      callback(queue.add(seq, payload) ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('Exporter has been shutdown') });
      return;
    }
    let payload: WireLogBatch | undefined;
    this.channel.send(
      () => {
        payload = wireLogBatch(logs);
        return { signal: 'logs', payload };
      },
      () => ({ signal: 'logs', payload: toCloneable(payload ?? wireLogBatch(logs)) as WireLogBatch }),
      (result) => {
        if (result.code === ExportResultCode.SUCCESS) return resultCallback(result);
        // Handed over to the queue: SUCCESS (see the class comment for why).
        if (payload !== undefined && isWorthKeeping(result.error) && queue.add(seq, payload)) {
          return resultCallback({ code: ExportResultCode.SUCCESS });
        }
        if (!isWorthKeeping(result.error) || payload === undefined) {
          queue.countDropped(logs.length, `export failed: ${exportErrorLabel(result.error)}`);
        }
        resultCallback(result);
      },
    );
  }
}
