// Main-thread side: project ResourceMetrics / ReadableLogRecord[] onto the plain wire shapes
// of protocol.ts. This is the only per-batch work the main thread does besides postMessage
// (which copies the result). Arrays such as hrTimes and bucket counts are referenced, not
// copied here: postMessage's structured clone copies them once.

import type { Attributes } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ExponentialHistogram, Histogram, MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import type {
  WireDataPoint,
  WireLogBatch,
  WireLogRecord,
  WireMetric,
  WireResource,
  WireResourceMetrics,
  WireScope,
} from './protocol.js';

interface ResourceLike {
  readonly attributes: Attributes;
  readonly schemaUrl?: string;
}

interface ScopeLike {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Record<string, unknown>;
  readonly droppedAttributesCount?: number;
}

export function wireResource(resource: ResourceLike): WireResource {
  const out: WireResource = { attributes: resource.attributes };
  const schemaUrl = resource.schemaUrl;
  if (schemaUrl !== undefined) out.schemaUrl = schemaUrl;
  return out;
}

export function wireScope(scope: ScopeLike): WireScope {
  const out: WireScope = { name: scope.name };
  if (scope.version !== undefined) out.version = scope.version;
  if (scope.schemaUrl !== undefined) out.schemaUrl = scope.schemaUrl;
  if (scope.attributes !== undefined) out.attributes = scope.attributes;
  if (scope.droppedAttributesCount !== undefined) out.droppedAttributesCount = scope.droppedAttributesCount;
  return out;
}

export function wireResourceMetrics(resourceMetrics: ResourceMetrics): WireResourceMetrics {
  return {
    resource: wireResource(resourceMetrics.resource),
    scopeMetrics: resourceMetrics.scopeMetrics.map((sm) => ({
      scope: wireScope(sm.scope),
      metrics: sm.metrics.map(wireMetric),
    })),
  };
}

function wireMetric(metric: MetricData): WireMetric {
  const d = metric.descriptor;
  const out: WireMetric = {
    descriptor: { name: d.name, description: d.description, unit: d.unit, valueType: d.valueType },
    aggregationTemporality: metric.aggregationTemporality,
    dataPointType: metric.dataPointType,
    dataPoints: [],
  };
  const points: WireDataPoint[] = new Array(metric.dataPoints.length);
  if (metric.dataPointType === DataPointType.SUM) out.isMonotonic = metric.isMonotonic;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      for (let i = 0; i < metric.dataPoints.length; i++) {
        const p = metric.dataPoints[i]!;
        points[i] = { startTime: p.startTime, endTime: p.endTime, attributes: p.attributes, value: p.value };
      }
      break;
    case DataPointType.HISTOGRAM:
      for (let i = 0; i < metric.dataPoints.length; i++) {
        const p = metric.dataPoints[i]!;
        points[i] = { startTime: p.startTime, endTime: p.endTime, attributes: p.attributes, value: wireHistogram(p.value) };
      }
      break;
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      for (let i = 0; i < metric.dataPoints.length; i++) {
        const p = metric.dataPoints[i]!;
        points[i] = {
          startTime: p.startTime,
          endTime: p.endTime,
          attributes: p.attributes,
          value: wireExponentialHistogram(p.value),
        };
      }
      break;
  }
  out.dataPoints = points;
  return out;
}

function wireHistogram(h: Histogram): Histogram {
  return {
    buckets: { boundaries: h.buckets.boundaries, counts: h.buckets.counts },
    sum: h.sum,
    count: h.count,
    min: h.min,
    max: h.max,
  };
}

function wireExponentialHistogram(h: ExponentialHistogram): ExponentialHistogram {
  return {
    count: h.count,
    sum: h.sum,
    scale: h.scale,
    zeroCount: h.zeroCount,
    positive: { offset: h.positive.offset, bucketCounts: h.positive.bucketCounts },
    negative: { offset: h.negative.offset, bucketCounts: h.negative.bucketCounts },
    min: h.min,
    max: h.max,
  };
}

/** ReadableLogRecord is usually an sdk-logs LogRecordImpl whose fields are getters over
 * private state, so the fields are read one by one (a spread or a structured clone of the
 * instance would miss them). */
export function wireLogBatch(logs: readonly ReadableLogRecord[]): WireLogBatch {
  const resources: WireResource[] = [];
  const scopes: WireScope[] = [];
  const resourceIndex = new Map<object, number>();
  const scopeIndex = new Map<object, number>();
  const records: WireLogRecord[] = new Array(logs.length);
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i]!;
    let r = resourceIndex.get(log.resource);
    if (r === undefined) {
      r = resources.push(wireResource(log.resource)) - 1;
      resourceIndex.set(log.resource, r);
    }
    let s = scopeIndex.get(log.instrumentationScope);
    if (s === undefined) {
      s = scopes.push(wireScope(log.instrumentationScope)) - 1;
      scopeIndex.set(log.instrumentationScope, s);
    }
    const record: WireLogRecord = {
      r,
      s,
      hrTime: log.hrTime,
      hrTimeObserved: log.hrTimeObserved,
      attributes: log.attributes,
      droppedAttributesCount: log.droppedAttributesCount,
    };
    if (log.severityNumber !== undefined) record.severityNumber = log.severityNumber;
    if (log.severityText !== undefined) record.severityText = log.severityText;
    if (log.body !== undefined) record.body = log.body;
    if (log.eventName !== undefined) record.eventName = log.eventName;
    const sc = log.spanContext;
    if (sc !== undefined) record.spanContext = { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags };
    records[i] = record;
  }
  return { resources, scopes, records };
}

/**
 * Fallback for a payload postMessage refused (DataCloneError: a function, symbol or promise
 * somewhere in a log body or attribute). Replaces what cannot be cloned with what the OTLP
 * transformer would have made of it anyway: toAnyValue() turns functions and symbols into an
 * empty AnyValue (as it does `undefined`) and reads other objects through Object.keys().
 */
export function toCloneable(value: unknown, depth = 0): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (depth > 64) return undefined;
  // Copy (never transfer); a Uint8Array stays a Uint8Array for toAnyValue's bytesValue.
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = toCloneable(value[i], depth + 1);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) {
    out[key] = toCloneable((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}
