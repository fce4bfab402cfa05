// The messages between the main thread and the OTLP export worker, and the plain-data
// ("wire") shapes of the telemetry they carry. Everything here is structured-clone safe:
// postMessage copies it; nothing is ever put in a transfer list (transferring an
// ArrayBuffer broke a V8 protector and cost 18 % of throughput when measured).
//
// The wire shapes hold exactly the fields that @opentelemetry/otlp-transformer 0.223
// reads (build/src/{common,metrics,logs}/internal.js), so that the objects rebuilt in the
// worker serialize to the same OTLP request as the originals would.

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { ProtocolChoice } from './export-protocol.js';

export type Signal = 'metrics' | 'logs';

/** `resource.attributes` (settled) and `resource.schemaUrl` — all createResource() reads. */
export interface WireResource {
  attributes: Attributes;
  schemaUrl?: string;
}

/** createInstrumentationScope() reads name, version, attributes, droppedAttributesCount; the
 * scope and log groupings also read schemaUrl. */
export interface WireScope {
  name: string;
  version?: string;
  schemaUrl?: string;
  attributes?: Record<string, unknown>;
  droppedAttributesCount?: number;
}

export interface WireDataPoint {
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  /** number for SUM / GAUGE, a Histogram or ExponentialHistogram object (plain data) otherwise */
  value: unknown;
}

export interface WireMetric {
  descriptor: { name: string; description: string; unit: string; valueType: number };
  aggregationTemporality: number;
  dataPointType: number;
  /** SUM only */
  isMonotonic?: boolean;
  dataPoints: WireDataPoint[];
}

export interface WireResourceMetrics {
  resource: WireResource;
  scopeMetrics: { scope: WireScope; metrics: WireMetric[] }[];
}

export interface WireLogRecord {
  /** index into WireLogBatch.resources */
  r: number;
  /** index into WireLogBatch.scopes */
  s: number;
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  severityNumber?: number;
  severityText?: string;
  body?: unknown;
  eventName?: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  spanContext?: { traceId: string; spanId: string; traceFlags: number };
}

/** Resources and scopes are deduplicated by object identity: the transformer groups log
 * records into ResourceLogs / ScopeLogs by the identity of these objects, so the worker must
 * see one object where the main thread had one. */
export interface WireLogBatch {
  resources: WireResource[];
  scopes: WireScope[];
  records: WireLogRecord[];
}

/** The subset of the stock exporters' config that can cross a thread boundary. */
export interface WireExporterConfig {
  url?: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  compression?: 'gzip' | 'none';
  concurrencyLimit?: number;
  keepAlive?: boolean;
  httpAgentOptions?: Record<string, unknown>;
  userAgent?: string;
}

export type MainToWorker =
  | {
      op: 'register';
      exporter: number;
      signal: Signal;
      /** which stock exporter the worker builds (chosen on the main thread: export-protocol.ts) */
      protocol: ProtocolChoice;
      config: WireExporterConfig;
      /** the OTEL_* environment variables as they were when the exporter was constructed */
      env: Record<string, string>;
    }
  | { op: 'export'; id: number; exporter: number; signal: 'metrics'; payload: WireResourceMetrics }
  | { op: 'export'; id: number; exporter: number; signal: 'logs'; payload: WireLogBatch }
  | { op: 'shutdown'; id: number; exporter: number };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  data?: unknown;
}

export type WorkerToMain =
  | { op: 'result'; id: number; ok: true }
  | { op: 'result'; id: number; ok: false; error: WireError }
  | { op: 'diag'; level: 'error' | 'warn' | 'info'; message: string };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; data?: unknown };
    const out: WireError = { name: e.name, message: e.message };
    if (typeof e.stack === 'string') out.stack = e.stack;
    if (isCloneablePrimitive(e.code)) out.code = e.code;
    if (isCloneablePrimitive(e.data)) out.data = e.data;
    return out;
  }
  return { name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: unknown; data?: unknown };
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.data !== undefined) error.data = wire.data;
  return error;
}

function isCloneablePrimitive(value: unknown): boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}
