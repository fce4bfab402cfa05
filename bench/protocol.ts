/**
 * The variants and the IPC messages between the benchmark harness (bench/http-overhead.ts) and
 * its child processes: the server under test (bench/server.ts), the load generator
 * (bench/load.ts) and the OTLP sink (bench/otlp-sink.ts).
 */

export const VARIANTS = ['bare', 'bare-export', 'otel-health', 'naive-otel', 'instrumentation-http'] as const;
export type VariantName = (typeof VARIANTS)[number];

export function isVariant(name: string): name is VariantName {
  return (VARIANTS as readonly string[]).includes(name);
}

/** What each variant is, in one sentence (printed in the Markdown report). */
export const VARIANT_DESCRIPTIONS: Record<VariantName, string> = {
  bare: 'hello-world `node:http` server (`res.end(\'hello\')`), nothing else.',
  'bare-export':
    'bare plus the outbound cadence of an OTLP export: every export interval the main thread POSTs a ' +
    'freshly serialized OTLP/JSON metrics request of a few KB to the sink with `node:http` (keep-alive agent, ' +
    'like the OTLP exporter). No metrics are recorded.',
  'otel-health':
    "`startHealthMonitoring({ serviceName: 'bench', checkInterval: 1 })` from `src/index.ts`, with " +
    '`OTEL_EXPORTER_OTLP_ENDPOINT` pointing at the sink and `OTEL_METRIC_EXPORT_INTERVAL` set to the export interval: ' +
    'its health reader and its OTLP export are both active.',
  'naive-otel':
    'a `MeterProvider` with a `PeriodicExportingMetricReader` + `OTLPMetricExporter` to the sink; a `request` listener ' +
    'adds `res.on(\'finish\')` that records a histogram `http.server.request.duration` (s) and a counter with 3 ' +
    'attributes (method, status code, scheme) built per request.',
  'instrumentation-http':
    '`NodeSDK` (sdk-node) with `HttpInstrumentation` and a `PeriodicExportingMetricReader` + `OTLPMetricExporter` to ' +
    'the sink; traces and logs off (`OTEL_TRACES_EXPORTER=none`, `OTEL_LOGS_EXPORTER=none`); started before ' +
    '`node:http` is required.',
};

// ---- server under test ----

export type ServerCommand = { type: 'cpu'; id: number } | { type: 'stop' };

export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; error: string }
  | { type: 'cpu'; id: number; user: number; system: number }
  | { type: 'stopped'; shutdownError?: string };

// ---- load generator ----

export interface LoadRun {
  type: 'run';
  id: number;
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadResult {
  /** Completed requests (responses received). */
  requests: number;
  /** Seconds the run actually lasted, as autocannon measured it. */
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU time (user + system, µs) the load generator itself used during the run. */
  loadCpuUs: number;
}

export type LoadMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; error: string };

// ---- OTLP sink ----

export type SinkCommand = { type: 'stats'; id: number };

export interface SinkStats {
  posts: number;
  bytes: number;
  /** POSTs whose body mentions `http.server.request.duration` (JSON or protobuf alike). */
  withHttpDuration: number;
  /** POST count per URL path. */
  paths: Record<string, number>;
}

export type SinkMessage = { type: 'ready'; port: number } | { type: 'stats'; id: number; stats: SinkStats };
