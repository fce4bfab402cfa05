/**
 * Metric and attribute names. Where the OpenTelemetry semantic conventions define a name it is
 * used as is; the few metrics the conventions do not cover live under `otel_health.` and are
 * documented in the README's metric table.
 */

// HTTP server (semantic conventions, stable).
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';

// Connections: the conventions name no HTTP-server connection metric, so these are ours.
export const METRIC_OPEN_CONNECTIONS = 'otel_health.http.server.open_connections';
export const METRIC_CONNECTIONS = 'otel_health.http.server.connections';

// Manual operations (queue consumers, jobs): no convention covers a generic operation.
export const METRIC_OPERATION_DURATION = 'otel_health.operation.duration';

// Runtime (semantic conventions, development status).
export const METRIC_PROCESS_CPU_TIME = 'process.cpu.time';
export const METRIC_PROCESS_CPU_UTILIZATION = 'process.cpu.utilization';
export const METRIC_PROCESS_MEMORY_USAGE = 'process.memory.usage';
export const METRIC_V8JS_HEAP_USED = 'v8js.memory.heap.used';
export const METRIC_V8JS_HEAP_LIMIT = 'v8js.memory.heap.limit';
export const METRIC_NODEJS_ELD_MIN = 'nodejs.eventloop.delay.min';
export const METRIC_NODEJS_ELD_MAX = 'nodejs.eventloop.delay.max';
export const METRIC_NODEJS_ELD_MEAN = 'nodejs.eventloop.delay.mean';
export const METRIC_NODEJS_ELD_P50 = 'nodejs.eventloop.delay.p50';
export const METRIC_NODEJS_ELD_P90 = 'nodejs.eventloop.delay.p90';
export const METRIC_NODEJS_ELD_P99 = 'nodejs.eventloop.delay.p99';
export const METRIC_NODEJS_ELU = 'nodejs.eventloop.utilization';
// Runtime limits the conventions do not name: the V8 heap size limit (--max-old-space-size),
// the cgroup memory limit, and the CPUs actually available (cgroup quota, else cores).
export const METRIC_HEAP_SIZE_LIMIT = 'otel_health.v8js.heap.size_limit';
export const METRIC_MEMORY_LIMIT = 'otel_health.process.memory.limit';
export const METRIC_CPU_AVAILABLE = 'otel_health.process.cpu.available';

// Attributes.
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_NETWORK_TRANSPORT = 'network.transport';
export const ATTR_CPU_MODE = 'cpu.mode';
export const ATTR_V8JS_HEAP_SPACE_NAME = 'v8js.heap.space.name';
export const ATTR_OPERATION_NAME = 'otel_health.operation.name';
/** The SDK's own marker for the one overflow series of a capped instrument. */
export const ATTR_OTEL_METRIC_OVERFLOW = 'otel.metric.overflow';

/** Instrumentation scope of everything this package records. */
export const SCOPE_NAME = 'otel-health';
/**
 * The scope under which a HealthMetricProducer with `explicitBucketsAlongside` hands the health
 * reader the explicit buckets of the histograms it also reports as exponential: only the health
 * evaluator reads it (latency objectives), never an exporter.
 */
export const EXPLICIT_BUCKETS_SCOPE = 'otel-health/explicit-buckets';
