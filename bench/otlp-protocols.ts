/**
 * OTLP protocols compared (issue 16): bytes on the wire per metrics export, and the export's
 * work in the export worker, for http/protobuf (the default), http/json and grpc, each with and
 * without gzip, for a service with 200 HTTP series.
 *
 * The data: one MeterProvider collect per round of a service's metrics as otel-health exports
 * them — `http.server.request.duration` (explicit buckets in seconds) and a request counter over
 * 50 routes × 4 status codes = 200 series, `http.server.active_requests` and a few runtime
 * gauges — taken outside the timing and exported by every variant in that round.
 *
 * Each variant is a WorkerMetricExporter of its protocol (the real export path: main thread →
 * worker → stock exporter) sending to receivers in a child process (support/otlp-receiver.ts,
 * support/otlp-grpc-receiver.ts), each variant through its own TCP proxy there that counts the
 * bytes (support/byte-counting-proxy.ts): what the exporter put on the wire, HTTP or gRPC
 * framing and headers included, connections already open (warm-up rounds first). The receivers
 * live in the child so that this process does nothing but export while measured. Two figures of
 * the export's cost:
 * - CPU of this process during one export (`process.cpuUsage()`, user + system): the worker's
 *   serialization and client work, gzip on the libuv threadpool, and the main thread's
 *   projection and postMessage (the same for every variant);
 * - active time of the worker's event loop during one export
 *   (`worker.performance.eventLoopUtilization()`): serialization and the client's protocol work
 *   in the worker thread, without the threadpool's gzip and without the wait for the endpoint.
 * The exports of a round run one after the other, in a random order per round, so drift and GC
 * fall on all variants alike; figures are paired per-round ratios to http/protobuf (median over
 * rounds with a percentile-bootstrap 95 % CI of that median), beside an A/A control (a second
 * http/protobuf exporter), never one absolute time alone.
 *
 *   node --import tsx bench/otlp-protocols.ts              (ROUNDS=120 by default, SEED=1)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { WorkerMetricExporter } from '../src/otlp/index.js';
import type { OtlpProtocol } from '../src/otlp/export-protocol.js';
import { getWorkerHost } from '../src/otlp/worker-host.js';
import { startByteCountingProxy, type ByteCountingProxy } from '../support/byte-counting-proxy.js';
import { startOtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { prng } from '../support/random.js';
import { formatSpread, median, spread } from './stats.js';
import { BOOTSTRAP, formatPaired, shuffle } from './support/paired.js';
import { CollectingReader, exportAsync } from '../support/export.js';

const ROUNDS = Math.max(10, Number(process.env.ROUNDS ?? 120));
const WARMUP_ROUNDS = 10;
const SEED = Number(process.env.SEED ?? 1);
const ROUTES = 50;
const STATUSES = [200, 201, 404, 500];
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];


/** A service's metrics: 200 HTTP series plus runtime gauges, one collect per call. */
function serviceMetrics(): () => Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'bench',
      'service.instance.id': '7f3c8a52-2b1e-4c9d-9a57-0d6e1b2c3f4a',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'host.name': 'bench-host',
      'process.pid': process.pid,
    }),
    readers: [reader],
  });
  const meter = provider.getMeter('otel-health', '0.1.0');
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: BOUNDS } });
  const requests = meter.createCounter('otel_health.http.server.requests', { unit: '{request}', valueType: ValueType.INT });
  const active = meter.createUpDownCounter('http.server.active_requests', { unit: '{request}', valueType: ValueType.INT });
  for (const [name, unit, value] of [
    ['nodejs.eventloop.delay.p99', 's', 0.0121],
    ['nodejs.eventloop.utilization', '1', 0.73],
    ['v8js.memory.heap.used', 'By', 12_345_678],
    ['process.memory.usage', 'By', 78_901_234],
  ] as const) {
    meter.createObservableGauge(name, { unit }).addCallback((r) => r.observe(value));
  }
  const rng = prng(SEED);
  return async () => {
    for (let route = 0; route < ROUTES; route++) {
      for (const status of STATUSES) {
        const attributes = {
          'http.request.method': route % 3 === 0 ? 'POST' : 'GET',
          'http.response.status_code': status,
          'url.scheme': 'http',
          'http.route': `/api/v1/resource-${route}/:id`,
          ...(status >= 500 ? { 'error.type': String(status) } : {}),
        };
        for (let i = 0; i < 5; i++) duration.record(0.002 + rng() * rng() * 2, attributes);
        requests.add(5, attributes);
      }
    }
    active.add(1, { 'url.scheme': 'http' });
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics;
  };
}

interface Variant {
  name: string;
  protocol: OtlpProtocol;
  gzip: boolean;
  exporter?: WorkerMetricExporter;
  bytes: number[];
  cpuMs: number[];
  activeMs: number[];
}

// --- the child: receivers and byte-counting proxies ------------------------------------------

type ToChild = { op: 'start'; protocols: OtlpProtocol[] } | { op: 'bytes'; variant: number };
type FromChild = { op: 'ports'; ports: number[] } | { op: 'bytes'; sent: number };

async function receiversChild(): Promise<void> {
  const http = await startOtlpReceiver();
  const grpc = await startOtlpGrpcReceiver();
  const proxies: ByteCountingProxy[] = [];
  process.on('message', (msg: ToChild) => {
    void (async () => {
      if (msg.op === 'start') {
        for (const protocol of msg.protocols) proxies.push(await startByteCountingProxy(protocol === 'grpc' ? grpc.port : Number(new URL(http.url).port)));
        process.send!({ op: 'ports', ports: proxies.map((p) => p.port) } satisfies FromChild);
      } else {
        const proxy = proxies[msg.variant]!;
        process.send!({ op: 'bytes', sent: proxy.sent } satisfies FromChild);
        proxy.reset();
        // Keep no bodies: only the bytes are wanted.
        for (const list of [http.metrics, http.requests, grpc.metrics, grpc.requests]) list.length = 0;
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

function ask(child: ChildProcess, msg: ToChild): Promise<FromChild> {
  const answer = once(child, 'message') as Promise<[FromChild]>;
  child.send(msg);
  return answer.then(([m]) => m);
}


function cgroupCpus(): string {
  try {
    const [quota, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota === 'max' || quota === undefined || period === undefined) return 'no cgroup CPU limit';
    return `cgroup CPU limit ${(Number(quota) / Number(period)).toFixed(2)} CPUs`;
  } catch {
    return 'no cgroup v2 CPU limit found';
  }
}

async function main(): Promise<void> {
  const rng = prng(SEED + 1);
  const child = fork(fileURLToPath(import.meta.url), ['receivers'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const variant = (name: string, protocol: OtlpProtocol, gzip: boolean): Variant => ({ name, protocol, gzip, bytes: [], cpuMs: [], activeMs: [] });
  const variants: Variant[] = [
    variant('http/protobuf', 'http/protobuf', false),
    variant('http/protobuf (A/A twin)', 'http/protobuf', false),
    variant('http/json', 'http/json', false),
    variant('grpc', 'grpc', false),
    variant('http/protobuf + gzip', 'http/protobuf', true),
    variant('http/json + gzip', 'http/json', true),
    variant('grpc + gzip', 'grpc', true),
  ];
  const started = await ask(child, { op: 'start', protocols: variants.map((v) => v.protocol) });
  if (started.op !== 'ports') throw new Error('receivers did not start');
  for (const [i, v] of variants.entries()) {
    const base = `http://127.0.0.1:${started.ports[i]!}`;
    v.exporter = new WorkerMetricExporter({
      protocol: v.protocol,
      url: v.protocol === 'grpc' ? base : `${base}/v1/metrics`,
      ...(v.gzip ? { compression: 'gzip' as const } : { compression: 'none' as const }),
    });
  }
  const collect = serviceMetrics();
  const host = getWorkerHost();

  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    const rm = await collect();
    for (const v of shuffle([...variants], rng)) {
      const index = variants.indexOf(v);
      await ask(child, { op: 'bytes', variant: index }); // resets its count
      const worker = host.currentWorker;
      const elu = worker?.performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      const result = await exportAsync(v.exporter!, rm);
      const used = process.cpuUsage(cpu);
      const eluAfter = host.currentWorker!.performance.eventLoopUtilization();
      if (result.code !== ExportResultCode.SUCCESS) throw new Error(`${v.name}: export failed: ${String(result.error)}`);
      const bytes = await ask(child, { op: 'bytes', variant: index });
      if (round < 0 || elu === undefined || bytes.op !== 'bytes') continue;
      v.bytes.push(bytes.sent);
      v.cpuMs.push((used.user + used.system) / 1000);
      v.activeMs.push(eluAfter.active - elu.active);
    }
  }
  const points = (await collect()).scopeMetrics.flatMap((sm) => sm.metrics).reduce((n, m) => n + m.dataPoints.length, 0);
  for (const v of variants) await v.exporter!.shutdown();
  child.disconnect();

  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const cpus = os.cpus();
  line(`node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${cgroupCpus()}; seed ${SEED}`);
  line(`${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds; one export of ${points} data points (200 HTTP series of a histogram and a counter, plus runtime) per variant per round.`);
  line(`Paired figures: median over rounds of the per-round ratio to http/protobuf [percentile-bootstrap 95 % CI of that median, ${BOOTSTRAP} resamples] (range over rounds).`);
  line();
  const reference = variants[0]!;
  const paired = (v: Variant, of: (x: Variant) => number[]) =>
    v === reference ? '1' : formatPaired(of(v).map((x, i) => x / of(reference)[i]!), rng, 3);
  line('Bytes on the wire (client to endpoint) per export: median (min–max over rounds).');
  line();
  line('| variant | bytes per export | ÷ http/protobuf |');
  line('|---|---|---|');
  for (const v of variants) {
    const ratio = v === reference ? '1' : (median(v.bytes) / median(reference.bytes)).toFixed(3);
    line(`| ${v.name} | ${formatSpread(spread(v.bytes), 0)} | ${ratio} |`);
  }
  line();
  line('Export cost: CPU ms of this process per export (worker, gzip threadpool, main thread), and active ms of the worker thread\'s event loop; median (min–max over rounds), then paired ratios to http/protobuf.');
  line();
  line('| variant | process CPU ms | ÷ http/protobuf (paired) | worker active ms | ÷ http/protobuf (paired) |');
  line('|---|---|---|---|---|');
  for (const v of variants) {
    line(`| ${v.name} | ${formatSpread(spread(v.cpuMs), 2)} | ${paired(v, (x) => x.cpuMs)} | ${formatSpread(spread(v.activeMs), 2)} | ${paired(v, (x) => x.activeMs)} |`);
  }
  console.log(out.join('\n'));
}

(process.argv[2] === 'receivers' ? receiversChild() : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
