// Alert log records survive a collector outage: real LoggerProvider → BatchLogRecordProcessor →
// WorkerLogRecordExporter (redelivery queue) → export worker → stock OTLPLogExporter → the
// in-process OTLP/HTTP receiver, which refuses connections, hangs, answers 500, 429 with
// Retry-After or 400, and comes back. Then the queue itself (src/otlp/redelivery.ts) with
// injected timers, and the error classification.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { DiagLogger } from '@opentelemetry/api';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { RedeliveryOptions } from '../../src/otlp/index.js';
import { WorkerLogRecordExporter } from '../../src/otlp/index.js';
import { exportErrorLabel, isTransientExportError, WORKER_EXIT_CODE } from '../../src/otlp/export-errors.js';
import type { Attempt, Timers } from '../../src/otlp/redelivery.js';
import { RedeliveryQueue } from '../../src/otlp/redelivery.js';
import { getWorkerHost } from '../../src/otlp/worker-host.js';
import type { OtlpReceiver } from '../../support/otlp-receiver.js';
import { startOtlpReceiver } from '../../support/otlp-receiver.js';

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The bodies of every log record the receiver accepted, in arrival order. */
function bodies(receiver: OtlpReceiver): string[] {
  const out: string[] = [];
  for (const request of receiver.logs)
    for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) out.push(r.body.stringValue);
  return out;
}

function alerts(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `alert ${from + i}`);
}

function logRequests(receiver: OtlpReceiver, status?: number): number {
  return receiver.requests.filter((r) => r.path === '/v1/logs' && (status === undefined || r.status === status)).length;
}

/** Small backoffs so that every case ends in a few seconds. */
const FAST: RedeliveryOptions = { initialBackoffMillis: 50, maxBackoffMillis: 200 };

/** The SDK pipeline alert records take: batches of two records, sent one after the other. */
function pipeline(receiver: OtlpReceiver, redelivery: RedeliveryOptions | false, options: { timeoutMillis?: number; shutdownTimeoutMillis?: number } = {}) {
  const exporter = new WorkerLogRecordExporter({
    url: `${receiver.url}/v1/logs`,
    timeoutMillis: options.timeoutMillis ?? 300,
    shutdownTimeoutMillis: options.shutdownTimeoutMillis ?? 2000,
    redelivery,
  });
  const provider = new LoggerProvider({
    processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 2, scheduledDelayMillis: 10 })],
  });
  const logger = provider.getLogger('otel-health-redelivery-test');
  return {
    exporter,
    provider,
    emit(from: number, to: number) {
      for (let i = from; i < to; i++) logger.emit({ body: `alert ${i}`, attributes: { n: i } });
    },
  };
}

/** diag.warn lines of the redelivery queue while a test runs. */
function captureWarnings(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const noop = () => undefined;
  const logger: DiagLogger = {
    warn: (message: string) => {
      if (message.includes('redelivery')) warnings.push(message);
    },
    error: noop,
    info: noop,
    debug: noop,
    verbose: noop,
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { warnings, restore: () => diag.disable() };
}

interface Fault {
  name: string;
  start(receiver: OtlpReceiver): Promise<void>;
  /** whether failing attempts reach the receiver (not when it refuses connections) */
  seen: boolean;
}

const FAULTS: Fault[] = [
  { name: 'refuses connections', start: (r) => r.stopListening(), seen: false },
  { name: 'hangs (each attempt times out)', start: async (r) => r.setMode('hang'), seen: true },
  { name: 'answers 500', start: async (r) => r.setMode('fail500'), seen: true },
  { name: 'answers 429 with Retry-After: 1', start: async (r) => r.setMode({ status: 429, retryAfter: '1' }), seen: true },
  { name: 'answers 503', start: async (r) => r.setMode({ status: 503 }), seen: true },
];

async function recover(receiver: OtlpReceiver): Promise<void> {
  await receiver.listenAgain();
  receiver.setMode('ok');
}

describe('alert log records survive a collector outage', () => {
  let receiver: OtlpReceiver;
  let capture: ReturnType<typeof captureWarnings>;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    capture = captureWarnings();
  });

  afterEach(async () => {
    capture.restore();
    await receiver.close();
  });

  after(() => {
    assert.equal(getWorkerHost().exporterCount, 0, 'every exporter was shut down');
  });

  for (const fault of FAULTS) {
    it(`endpoint ${fault.name}: records emitted during the fault all arrive after recovery, in order`, async () => {
      const { exporter, provider, emit } = pipeline(receiver, FAST);
      await fault.start(receiver);
      emit(0, 10);
      await until(() => exporter.pendingRedelivery === 10, 'all 10 records queued');
      // Five batches, but batches that arrive while the queue holds something join it without a
      // request of their own.
      const requestsWhenQueued = logRequests(receiver);
      assert.ok(requestsWhenQueued < 5, `${requestsWhenQueued} requests for 5 batches`);
      if (fault.seen) {
        // The queue keeps retrying against the failing endpoint, and keeps the records.
        await receiver.waitFor(() => logRequests(receiver) >= 3, 5000);
        assert.equal(exporter.pendingRedelivery, 10);
      }
      const failedRequests = logRequests(receiver);
      await recover(receiver);
      await receiver.waitFor(() => bodies(receiver).length >= 10, 8000);
      await until(() => exporter.pendingRedelivery === 0, 'queue empty');
      assert.deepEqual(bodies(receiver), alerts(0, 10));
      assert.equal(exporter.droppedLogRecords, 0);
      assert.equal(exporter.redeliveredLogRecords, 10);
      assert.deepEqual(capture.warnings, []);
      // Afterwards the queue is empty: a new record goes out on its own request.
      emit(10, 11);
      await provider.forceFlush();
      await receiver.waitFor(() => bodies(receiver).length === 11, 5000);
      assert.deepEqual(bodies(receiver), alerts(0, 11));
      console.log(`# ${fault.name}: 10 records sent during the fault, ${failedRequests} failed requests seen by the receiver, ${bodies(receiver).length - 1} delivered after recovery in order, 0 dropped`);
      await provider.shutdown();
    });
  }

  it('with a bound of 4 records, exactly the newest 4 arrive and the other 6 are counted as dropped, with one warning', async () => {
    const { exporter, provider, emit } = pipeline(receiver, { ...FAST, maxRecords: 4 });
    receiver.setMode('fail500');
    emit(0, 10);
    await until(() => exporter.droppedLogRecords === 6 && exporter.pendingRedelivery === 4, 'bound applied');
    await recover(receiver);
    await until(() => exporter.pendingRedelivery === 0, 'queue empty');
    await exporter.forceFlush();
    assert.deepEqual(bodies(receiver), alerts(6, 10));
    assert.equal(exporter.droppedLogRecords, 6);
    assert.equal(capture.warnings.length, 1, capture.warnings.join('\n'));
    assert.match(capture.warnings[0]!, /dropped \d+ log records \(over the bound of 4 log records\)/);
    assert.ok(!capture.warnings[0]!.includes('127.0.0.1'), 'no endpoint address in the log line');
    console.log(`# bound 4: 10 records sent during a 500 outage, ${bodies(receiver).length} delivered (${bodies(receiver).join(', ')}), ${exporter.droppedLogRecords} dropped, ${capture.warnings.length} warning`);
    await provider.shutdown();
  });

  it('a 400 drops the batch and counts its records, with one request per batch (no retries)', async () => {
    const { exporter, provider, emit } = pipeline(receiver, FAST);
    receiver.setMode({ status: 400 });
    emit(0, 6);
    await until(() => exporter.droppedLogRecords === 6, '6 records dropped');
    assert.equal(exporter.pendingRedelivery, 0);
    // A marker sent after the endpoint is back arrives alone: nothing of the refused batches was
    // queued ahead of it.
    receiver.setMode('ok');
    emit(100, 101);
    await receiver.waitFor(() => bodies(receiver).length === 1, 5000);
    await provider.forceFlush();
    assert.deepEqual(bodies(receiver), ['alert 100']);
    assert.equal(logRequests(receiver, 400), 3);
    assert.equal(logRequests(receiver), 4);
    assert.equal(capture.warnings.length, 1, capture.warnings.join('\n'));
    assert.match(capture.warnings[0]!, /HTTP 400/);
    await provider.shutdown();
  });

  it('a 400 for a queued batch drops it and delivery goes on with the next', async () => {
    const { exporter, provider, emit } = pipeline(receiver, FAST);
    receiver.setMode('fail500');
    emit(0, 4);
    await until(() => exporter.pendingRedelivery === 4, '4 records queued');
    receiver.setMode({ status: 400 });
    await until(() => exporter.pendingRedelivery === 0, 'queue emptied by the 400s');
    assert.equal(exporter.droppedLogRecords, 4);
    assert.equal(logRequests(receiver, 400), 2, 'one request per queued batch');
    receiver.setMode('ok');
    emit(100, 101);
    await receiver.waitFor(() => bodies(receiver).length === 1, 5000);
    await provider.forceFlush();
    assert.deepEqual(bodies(receiver), ['alert 100']);
    assert.equal(logRequests(receiver, 400), 2);
    await provider.shutdown();
  });

  it('forceFlush() and shutdown() send the backlog at once instead of waiting for the backoff', async () => {
    // A backoff of a minute: only forceFlush() or shutdown() can deliver within this test.
    const { exporter, provider, emit } = pipeline(receiver, { initialBackoffMillis: 60_000, maxBackoffMillis: 60_000 });
    receiver.setMode('fail500');
    emit(0, 2);
    await until(() => exporter.pendingRedelivery === 2, 'queued');
    receiver.setMode('ok');
    await exporter.forceFlush();
    assert.deepEqual(bodies(receiver), alerts(0, 2));
    assert.equal(exporter.pendingRedelivery, 0);

    receiver.setMode('fail500');
    emit(2, 6);
    await until(() => exporter.pendingRedelivery === 4, 'queued again');
    receiver.setMode('ok');
    await provider.shutdown();
    assert.deepEqual(bodies(receiver), alerts(0, 6));
    assert.equal(exporter.droppedLogRecords, 0);
  });

  it('shutdown() with a backlog against an endpoint that hangs returns within its bound and counts the leftovers', async () => {
    // The stock exporter's own timeout stays at 10 s: only the shutdown bound ends the wait.
    const { exporter, provider, emit } = pipeline(receiver, FAST, { timeoutMillis: 10_000, shutdownTimeoutMillis: 500 });
    receiver.setMode('fail500');
    emit(0, 6);
    await until(() => exporter.pendingRedelivery === 6, 'queued');
    receiver.setMode('hang');
    const start = logRequests(receiver);
    await receiver.waitFor(() => logRequests(receiver) > start, 5000); // a retry hangs in the receiver now
    const t0 = performance.now();
    await provider.shutdown();
    const elapsed = performance.now() - t0;
    // forceFlush() and shutdown() of the exporter each have the 500 ms bound.
    assert.ok(elapsed < 3000, `shutdown took ${elapsed.toFixed(0)} ms`);
    assert.equal(exporter.droppedLogRecords, 6);
    assert.equal(exporter.pendingRedelivery, 0);
    assert.deepEqual(bodies(receiver), []);
    assert.equal(capture.warnings.length, 1);
    assert.match(capture.warnings[0]!, /still queued at shutdown/);
    // Exports after shutdown fail at once.
    const result = await new Promise<{ code: number }>((resolve) => exporter.export([], resolve));
    assert.notEqual(result.code, 0);
    console.log(`# shutdown against a hanging endpoint with 6 queued records (bound 500 ms): ${elapsed.toFixed(0)} ms, ${exporter.droppedLogRecords} counted as dropped`);
  });

  it('abandon() counts the backlog as dropped and stops retrying', async () => {
    const { exporter, provider, emit } = pipeline(receiver, FAST);
    receiver.setMode('fail500');
    emit(0, 4);
    await until(() => exporter.pendingRedelivery === 4, 'queued');
    await exporter.abandon();
    assert.equal(exporter.droppedLogRecords, 4);
    assert.equal(exporter.pendingRedelivery, 0);
    const after = logRequests(receiver);
    receiver.setMode('ok');
    await provider.shutdown();
    assert.equal(logRequests(receiver), after, 'no request after abandon()');
  });

  it('redelivery: false keeps the old behaviour (a 500 is FAILED and counted, nothing is retried)', async () => {
    const { exporter, provider, emit } = pipeline(receiver, false);
    receiver.setMode('fail500');
    emit(0, 2);
    await until(() => exporter.droppedLogRecords === 2, 'counted');
    receiver.setMode('ok');
    emit(2, 3);
    await provider.forceFlush();
    await receiver.waitFor(() => bodies(receiver).length === 1, 5000);
    assert.deepEqual(bodies(receiver), ['alert 2']);
    assert.equal(logRequests(receiver, 500), 1);
    assert.equal(exporter.pendingRedelivery, 0);
    await provider.shutdown();
  });

  it('a process with a backlog against a dead endpoint still exits on its own', async () => {
    await receiver.stopListening();
    const index = pathToFileURL(`${process.cwd()}/src/otlp/index.ts`).href;
    const script = `
      import { WorkerLogRecordExporter } from ${JSON.stringify(index)};
      import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
      const exporter = new WorkerLogRecordExporter({ url: process.argv[1], timeoutMillis: 300, redelivery: { initialBackoffMillis: 60000, maxBackoffMillis: 60000 } });
      const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 10 })] });
      provider.getLogger('child').emit({ body: 'alert' });
      const poll = setInterval(() => {
        if (exporter.pendingRedelivery > 0) {
          clearInterval(poll);
          console.log('queued', exporter.pendingRedelivery);
        }
      }, 10);
    `;
    const t0 = performance.now();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script, `${receiver.url}/v1/logs`],
        { cwd: process.cwd(), timeout: 20_000 },
        (error, stdout) => resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout }),
      );
      child.stdin?.end();
    });
    const elapsed = performance.now() - t0;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /queued 1/);
    console.log(`# child process with 1 queued record and a 60 s backoff exited by itself after ${elapsed.toFixed(0)} ms (startup included)`);
  });
});

// --- the queue alone ------------------------------------------------------------------------

interface FakeTimer {
  callback: () => void;
  ms: number;
  cleared: boolean;
}

function fakeTimers(random = 0): Timers & { timers: FakeTimer[]; fire(): number } {
  const timers: FakeTimer[] = [];
  return {
    timers,
    setTimeout(callback, ms) {
      const t = { callback, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimeout(handle) {
      (handle as FakeTimer).cleared = true;
    },
    random: () => random,
    /** Runs the one live timer; returns its delay. */
    fire() {
      const live = timers.filter((t) => !t.cleared);
      assert.equal(live.length, 1, `${live.length} live timers`);
      live[0]!.cleared = true;
      live[0]!.callback();
      return live[0]!.ms;
    },
  };
}

/** A batch is a list of record names; send() answers with what the test says. */
function fakeOps() {
  const sent: string[][] = [];
  const answers: ((a: Attempt) => void)[] = [];
  return {
    sent,
    /** Settles the oldest unanswered attempt, then lets the queue react. */
    async answer(outcome: Attempt['outcome'], label?: string) {
      const next = answers.shift();
      assert.ok(next, 'an attempt is in flight');
      next({ outcome, ...(label !== undefined ? { label } : {}) });
      await new Promise((resolve) => setImmediate(resolve));
    },
    inFlight: () => answers.length,
    ops: {
      send(batch: string[]) {
        sent.push(batch);
        return new Promise<Attempt>((resolve) => answers.push(resolve));
      },
      count: (batch: string[]) => batch.length,
      dropOldest: (batch: string[], n: number) => batch.slice(n),
    },
  };
}

describe('RedeliveryQueue', () => {
  it('retries the oldest batch with doubling backoff up to the cap, jitter taking up to 20 % off', async () => {
    for (const [random, factor] of [
      [0, 1],
      [0.5, 0.9],
      [0.999999, 0.8],
    ] as const) {
      const t = fakeTimers(random);
      const f = fakeOps();
      const q = new RedeliveryQueue(f.ops, { initialBackoffMillis: 1000, maxBackoffMillis: 30_000 }, { timers: t, warn: () => undefined });
      q.add(0, ['a']);
      const waits: number[] = [];
      for (let i = 0; i < 7; i++) {
        waits.push(t.fire());
        await f.answer('transient');
      }
      const expected = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000].map((ms) => ms * factor);
      waits.forEach((w, i) => assert.ok(Math.abs(w - expected[i]!) < 0.1, `random ${random}: wait ${i} was ${w}, expected ${expected[i]}`));
      assert.equal(q.pendingRecords, 1);
      q.close();
    }
  });

  it('keeps export order, drains one batch after the other after a success, and starts over at the initial backoff', async () => {
    const t = fakeTimers();
    const f = fakeOps();
    const q = new RedeliveryQueue(f.ops, { initialBackoffMillis: 10, maxBackoffMillis: 1000 }, { timers: t, warn: () => undefined });
    q.add(2, ['c']);
    q.add(0, ['a']); // a first attempt that failed later than a newer batch goes back to its place
    q.add(3, ['d']);
    q.add(1, ['b']);
    assert.equal(t.fire(), 10);
    assert.equal(f.inFlight(), 1, 'one attempt at a time');
    await f.answer('transient');
    assert.equal(t.fire(), 20);
    await f.answer('delivered');
    assert.equal(f.inFlight(), 1, 'the next batch goes at once');
    await f.answer('delivered');
    await f.answer('delivered');
    await f.answer('delivered');
    assert.deepEqual(f.sent, [['a'], ['a'], ['b'], ['c'], ['d']]);
    assert.equal(q.pendingRecords, 0);
    assert.equal(q.redeliveredRecords, 4);
    assert.equal(q.active, false);
    q.add(4, ['e']);
    assert.equal(t.fire(), 10, 'backoff starts over after the outage');
  });

  it('drops the oldest records over the bound (trimming a batch), also from the attempt in flight', async () => {
    const t = fakeTimers();
    const f = fakeOps();
    const warnings: string[] = [];
    const q = new RedeliveryQueue(f.ops, { maxRecords: 5, initialBackoffMillis: 10 }, { timers: t, warn: (m) => warnings.push(m), what: 'log records' });
    q.add(0, ['a1', 'a2', 'a3']);
    t.fire(); // attempt on a1..a3 in flight
    q.add(1, ['b1', 'b2']);
    q.add(2, ['c1', 'c2']); // 7 > 5: a1, a2 go
    assert.equal(q.droppedRecords, 2);
    assert.equal(q.pendingRecords, 5);
    q.add(3, ['d1', 'd2', 'd3', 'd4', 'd5', 'd6']); // bigger than the bound alone: only d2..d6 stay
    assert.equal(q.droppedRecords, 8);
    assert.equal(q.pendingRecords, 5);
    assert.equal(warnings.length, 1, 'one warning per outage');
    assert.match(warnings[0]!, /dropped 2 log records \(over the bound of 5 log records\)/);
    await f.answer('delivered'); // the attempt in flight reached the endpoint; a3 is no longer queued
    assert.equal(q.redeliveredRecords, 0);
    await f.answer('delivered');
    assert.deepEqual(f.sent.at(-1), ['d2', 'd3', 'd4', 'd5', 'd6']);
    assert.equal(q.pendingRecords, 0);
    assert.equal(q.redeliveredRecords, 5);
    q.add(4, ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    assert.equal(warnings.length, 2, 'a new outage warns again');
  });

  it('a permanent failure drops that batch and goes on with the next at once', async () => {
    const t = fakeTimers();
    const f = fakeOps();
    const warnings: string[] = [];
    const q = new RedeliveryQueue(f.ops, { initialBackoffMillis: 10 }, { timers: t, warn: (m) => warnings.push(m) });
    q.add(0, ['a']);
    q.add(1, ['b', 'b']);
    t.fire();
    await f.answer('permanent', 'HTTP 400');
    assert.equal(f.inFlight(), 1);
    await f.answer('delivered');
    assert.equal(q.droppedRecords, 1);
    assert.equal(q.redeliveredRecords, 2);
    assert.match(warnings[0]!, /refused by the endpoint: HTTP 400/);
  });

  it('flush() tries now and stops at the first transient failure; drain() keeps going until close()', async () => {
    const t = fakeTimers();
    const f = fakeOps();
    const q = new RedeliveryQueue(f.ops, { initialBackoffMillis: 10 }, { timers: t, warn: () => undefined });
    q.add(0, ['a']);
    q.add(1, ['b']);
    const flushed = q.flush();
    assert.equal(f.inFlight(), 1, 'no wait for the backoff');
    assert.ok(t.timers.every((x) => x.cleared), 'backoff timer cancelled');
    await f.answer('delivered');
    await f.answer('transient');
    await flushed;
    assert.equal(q.pendingRecords, 1);

    let drained = false;
    const draining = q.drain().then(() => (drained = true));
    await f.answer('transient');
    t.fire();
    await f.answer('transient');
    assert.equal(drained, false);
    assert.equal(q.close(), 1);
    await draining;
    assert.equal(q.droppedRecords, 1);
    assert.ok(t.timers.every((x) => x.cleared), 'no timer left after close()');
    assert.equal(q.add(5, ['late']), false);
    assert.equal(q.droppedRecords, 2);
  });

  it('rejects bad options with the field named', () => {
    const url = 'http://127.0.0.1:9/v1/logs';
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: { maxRecords: 0 } }), /redelivery\.maxRecords must be a positive integer, got 0/);
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: { maxRecords: 1.5 } }), RangeError);
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: { initialBackoffMillis: -1 } }), /initialBackoffMillis/);
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: { initialBackoffMillis: Number.NaN } }), /initialBackoffMillis/);
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: { initialBackoffMillis: 500, maxBackoffMillis: 100 } }), /maxBackoffMillis must be a finite number ≥ initialBackoffMillis \(500\), got 100/);
    assert.throws(() => new WorkerLogRecordExporter({ url, redelivery: true as never }), TypeError);
    assert.equal(getWorkerHost().exporterCount, 0, 'a rejected exporter is not registered with the worker');
  });
});

describe('which export failures are retried', () => {
  const transient: [string, unknown][] = [
    ['HTTP 500', { name: 'OTLPExporterError', message: 'Internal Server Error', code: 500 }],
    ['HTTP 503', { name: 'OTLPExporterError', message: 'x', code: 503 }],
    ['HTTP 429', { name: 'OTLPExporterError', message: 'x', code: 429 }],
    ['HTTP 408', { name: 'OTLPExporterError', message: 'x', code: 408 }],
    ['retryable status, stock retries used up', { name: 'OTLPExporterError', message: 'Export failed with retryable status' }],
    ['connection refused', { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:4318', code: 'ECONNREFUSED' }],
    ['connection reset', { name: 'Error', message: 'socket hang up', code: 'ECONNRESET' }],
    ['DNS', { name: 'Error', message: 'getaddrinfo EAI_AGAIN collector', code: 'EAI_AGAIN' }],
    ['stock timeout', { name: 'Error', message: 'Request timed out' }],
    ['worker exited', { name: 'Error', message: 'otel-health: OTLP export worker exited with code 1', code: WORKER_EXIT_CODE }],
  ];
  const permanent: [string, unknown][] = [
    ['HTTP 400', { name: 'OTLPExporterError', message: 'Bad Request', code: 400 }],
    ['HTTP 401', { name: 'OTLPExporterError', message: 'Unauthorized', code: 401 }],
    ['HTTP 413', { name: 'OTLPExporterError', message: 'Payload Too Large', code: 413 }],
    ['HTTP 301', { name: 'OTLPExporterError', message: 'Moved', code: 301 }],
    ['TLS certificate', { name: 'Error', message: 'certificate has expired', code: 'CERT_HAS_EXPIRED' }],
    ['node ERR_*', { name: 'TypeError', message: 'Invalid URL', code: 'ERR_INVALID_URL' }],
    ['exporter shut down', { name: 'Error', message: 'Exporter has been shutdown' }],
    ['not an error', 'boom'],
  ];
  for (const [what, error] of transient) it(`transient: ${what}`, () => assert.equal(isTransientExportError(error), true));
  for (const [what, error] of permanent) it(`permanent: ${what}`, () => assert.equal(isTransientExportError(error), false));

  it('log labels carry the status or code, never the message', () => {
    assert.equal(exportErrorLabel({ name: 'OTLPExporterError', message: 'secret body', code: 400 }), 'HTTP 400');
    assert.equal(exportErrorLabel({ name: 'Error', message: 'connect ECONNREFUSED 10.0.0.1:4318', code: 'ECONNREFUSED' }), 'ECONNREFUSED');
    assert.equal(exportErrorLabel({ name: 'Error', message: 'https://user:pw@host/' }), 'Error');
  });
});
