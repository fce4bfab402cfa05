// Which failed OTLP log exports are worth trying again. The errors come from the stock
// exporters inside the worker (through toWireError / fromWireError, which keep name, message
// and a primitive `code`; a gRPC status is renamed `GRPC_<NAME>` there, see grpcStatusCode) or
// from the worker host itself.
//
// The stock exporter already retries 429/502/503/504 and network errors inside one export, for
// as long as that export's timeout allows; what reaches us is what it gave up on. For alert
// records a failure is retried again later (redelivery.ts) when it looks like the endpoint being
// away, overloaded or broken for a while, and dropped when the endpoint refused this request.

/** Set on the error of requests that were pending when the export worker exited or crashed:
 * the next request starts a new worker, so the batch is worth sending again. */
export const WORKER_EXIT_CODE = 'OTEL_HEALTH_WORKER_EXIT';

/** gRPC status codes by number (grpc/grpc-js `status`), for error codes that cannot be
 * mistaken for HTTP statuses. */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** `GRPC_UNAVAILABLE` for 14, …; undefined for a number that is not a gRPC status. The gRPC
 * exporter reports the call's status as a numeric `code`, which would read as an HTTP status
 * here: the worker renames it before it crosses to this thread. */
export function grpcStatusCode(code: unknown): string | undefined {
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
  const name = GRPC_STATUS_NAMES[code];
  return name === undefined ? undefined : `GRPC_${name}`;
}

/**
 * gRPC statuses expected to pass: the OTLP specification's retryable ones (CANCELLED,
 * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS), and,
 * as with HTTP 500, UNKNOWN and INTERNAL: a collector restarting answers them, and alert
 * records are few and worth another call.
 */
const TRANSIENT_GRPC = new Set(
  ['CANCELLED', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'OUT_OF_RANGE', 'UNAVAILABLE', 'DATA_LOSS', 'UNKNOWN', 'INTERNAL'].map(
    (name) => `GRPC_${name}`,
  ),
);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
}

/**
 * True for failures that are expected to pass when the endpoint comes back:
 *
 * - an HTTP answer 408, 429 or 5xx. 500 is included on purpose, beyond the OTLP specification's
 *   retryable set (429, 502, 503, 504): a collector restarting or a proxy in front of a dead
 *   backend answers 500, and alert records are few and worth another request. The stock
 *   exporter reports these as `OTLPExporterError` with the status as `code`;
 * - an `OTLPExporterError` without a status: the stock exporter's "Export failed with
 *   retryable status" after its own retries ran out;
 * - an errno-style socket or DNS error (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `EAI_AGAIN`,
 *   `ENOTFOUND`, `EPIPE`, …: a code of `E` and capitals, but not Node's own `ERR_*`);
 * - the stock exporter's own request timeout ("Request timed out", a plain Error) and its
 *   "Concurrent export limit reached";
 * - the export worker exiting while the request was pending ({@link WORKER_EXIT_CODE});
 * - a gRPC status in the retryable set above (`GRPC_UNAVAILABLE`, `GRPC_DEADLINE_EXCEEDED`, …).
 *
 * Everything else is permanent: another HTTP status (400, 401, 403, 404, 413, 3xx …: the
 * endpoint answered and refused this request; sending it again changes nothing), Node's own
 * `ERR_*` codes and TLS certificate errors (configuration), and local failures (a payload that
 * cannot be serialized, an exporter that could not be built, a shut-down exporter).
 */
export function isTransientExportError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, code } = error as ErrorLike;
  if (typeof code === 'number') return code === 408 || code === 429 || (code >= 500 && code <= 599);
  if (typeof code === 'string') {
    if (code.startsWith('GRPC_')) return TRANSIENT_GRPC.has(code);
    return code === WORKER_EXIT_CODE || (/^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_'));
  }
  if (name === 'OTLPExporterError') return true;
  return message === 'Request timed out' || message === 'Concurrent export limit reached';
}

/**
 * A short label of a failure for a log line: the HTTP status or the error code, else the
 * error's name. Never the message, which may hold the endpoint's address or a response body.
 */
export function exportErrorLabel(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const { name, code } = error as ErrorLike;
  if (typeof code === 'number') return `HTTP ${code}`;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
  return typeof name === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(name) ? name : 'error';
}

/** HTTP 415 Unsupported Media Type: the endpoint does not take this protocol's content type
 * (e.g. an OTLP endpoint that takes only protobuf, sent http/json). */
export function isUnsupportedMediaType(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as ErrorLike).code === 415;
}

/**
 * True for alert records worth keeping for redelivery: a transient failure, or a 415. A 415 is
 * no outage — the same request is refused until the protocol changes — but dropping alert
 * records as a permanent error would lose them quietly; kept, they wait (bounded by the
 * queue's `maxRecords`, retried at its slowest backoff) while the diagnostic of
 * export-channel.ts tells the user which variable to set, and reach an endpoint that is
 * reconfigured to take them. What is still held at shutdown is counted and reported as
 * dropped.
 */
export function isWorthKeeping(error: unknown): boolean {
  return isTransientExportError(error) || isUnsupportedMediaType(error);
}
