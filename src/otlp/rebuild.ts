// Worker side: rebuild from the wire shapes the objects the stock OTLP exporters take. They
// carry every field @opentelemetry/otlp-transformer 0.223 reads (see protocol.ts), and one
// Resource / scope object per distinct original, because the logs transformer groups records
// by the identity of those objects.

import type { HrTime, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { WireLogBatch, WireResource, WireResourceMetrics, WireScope } from './protocol.js';

// The log field types come from ReadableLogRecord itself: the 2.x line declares them in
// @opentelemetry/api-logs, the 3.x line in @opentelemetry/api.
type LogAttributes = ReadableLogRecord['attributes'];
type LogBody = ReadableLogRecord['body'];
type SeverityNumber = ReadableLogRecord['severityNumber'];

function rebuildResource(wire: WireResource): Resource {
  return resourceFromAttributes(wire.attributes, wire.schemaUrl === undefined ? undefined : { schemaUrl: wire.schemaUrl });
}

export function rebuildResourceMetrics(wire: WireResourceMetrics): ResourceMetrics {
  return {
    resource: rebuildResource(wire.resource),
    scopeMetrics: wire.scopeMetrics.map((sm) => ({
      scope: sm.scope,
      // The wire metric has the MetricData fields (dataPointType, aggregationTemporality and
      // valueType are the sdk-metrics / api enum values, carried as numbers).
      metrics: sm.metrics as unknown as MetricData[],
    })),
  };
}

class RebuiltLogRecord implements ReadableLogRecord {
  readonly hrTime: HrTime;
  readonly hrTimeObserved: HrTime;
  readonly spanContext?: SpanContext;
  readonly severityText?: string;
  readonly severityNumber?: SeverityNumber;
  readonly body?: LogBody;
  readonly eventName?: string;
  readonly resource: Resource;
  readonly instrumentationScope: WireScope & { attributes?: LogAttributes };
  readonly attributes: LogAttributes;
  readonly droppedAttributesCount: number;

  constructor(
    resource: Resource,
    scope: WireScope,
    w: WireLogBatch['records'][number],
  ) {
    this.resource = resource;
    this.instrumentationScope = scope as WireScope & { attributes?: LogAttributes };
    this.hrTime = w.hrTime;
    this.hrTimeObserved = w.hrTimeObserved;
    this.attributes = w.attributes as LogAttributes;
    this.droppedAttributesCount = w.droppedAttributesCount;
    if (w.severityNumber !== undefined) this.severityNumber = w.severityNumber as SeverityNumber;
    if (w.severityText !== undefined) this.severityText = w.severityText;
    if (w.body !== undefined) this.body = w.body as LogBody;
    if (w.eventName !== undefined) this.eventName = w.eventName;
    if (w.spanContext !== undefined) this.spanContext = w.spanContext;
  }
}

export function rebuildLogRecords(wire: WireLogBatch): ReadableLogRecord[] {
  const resources = wire.resources.map(rebuildResource);
  const scopes = wire.scopes; // one object per distinct original scope
  return wire.records.map((w) => new RebuiltLogRecord(resources[w.r]!, scopes[w.s]!, w));
}


