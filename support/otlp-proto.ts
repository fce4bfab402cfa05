// Decodes OTLP protobuf requests (http/protobuf bodies, gRPC messages) with protobufjs and the
// OTLP message definitions, into the shape of OTLP/JSON (camelCase fields, enums as numbers,
// trace and span ids as hex), so that tests read both encodings the same way.
//
// The definitions below are the subset of opentelemetry-proto (v1: common, resource, metrics,
// logs and the two collector services' requests) that the tests read, written from the
// protocol's field numbers; fields left out are skipped by the decoder as unknown fields.

import protobuf from 'protobufjs';

const OTLP_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
  }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}
message ExponentialHistogramDataPoint {
  repeated KeyValue attributes = 1;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  sint32 scale = 6;
  fixed64 zero_count = 7;
  Buckets positive = 8;
  Buckets negative = 9;
  uint32 flags = 10;
  optional double min = 12;
  optional double max = 13;
  message Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
}

message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}
`;

const root = protobuf.parse(OTLP_PROTO).root;
const MetricsRequest = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');
const LogsRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');

/** 64-bit fields that OTLP/JSON writes as numbers in the stock JSON serializer; the *UnixNano
 * times stay strings (they do not fit a double). */
const NUMERIC_LONGS = new Set(['count', 'asInt', 'zeroCount', 'bucketCounts', 'intValue']);
const HEX_BYTES = new Set(['traceId', 'spanId']);

function toJsonShape(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toJsonShape(v, key));
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string' && NUMERIC_LONGS.has(key)) return Number(value);
    if (typeof value === 'string' && HEX_BYTES.has(key)) return Buffer.from(value, 'base64').toString('hex');
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonShape(v, k);
  return out;
}

function decode(type: protobuf.Type, bytes: Uint8Array): any {
  const message = type.decode(bytes);
  return toJsonShape(type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, arrays: false }));
}

/** An ExportMetricsServiceRequest in protobuf, as OTLP/JSON would have it. Throws on bytes
 * that are not one. */
export function decodeMetricsRequest(bytes: Uint8Array): any {
  return decode(MetricsRequest, bytes);
}

/** An ExportLogsServiceRequest in protobuf, as OTLP/JSON would have it. */
export function decodeLogsRequest(bytes: Uint8Array): any {
  return decode(LogsRequest, bytes);
}
