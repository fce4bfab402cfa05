/**
 * IPC messages between the outage scenario (bench/reliability/scenario.ts) and its child
 * processes: the fault endpoint (fault-endpoint.ts) and the service under test (service.ts). The
 * load generator is bench/load.ts, with its own messages in bench/protocol.ts.
 */

/**
 * What the fault endpoint does with OTLP/HTTP requests:
 * - `up`: 200 `{}`; what arrives is recorded.
 * - `refuse`: the listener is closed (connections are refused); `up` listens again on the same port.
 * - `hang`: connections are accepted, requests read and never answered.
 * - `status500`: 500 to every request.
 * - `status429`: 429 with `Retry-After: 5` to every request.
 */
export const FAULT_MODES = ['up', 'refuse', 'hang', 'status500', 'status429'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export function isFaultMode(name: string): name is FaultMode {
  return (FAULT_MODES as readonly string[]).includes(name);
}

/** The Retry-After the endpoint sends in `status429` mode, seconds. */
export const RETRY_AFTER_S = 5;

// ---- fault endpoint ----

export type EndpointCommand = { type: 'mode'; id: number; mode: FaultMode } | { type: 'stats'; id: number };

/** One `health.alert` log record as it reached the endpoint (answered 200). */
export interface ReceivedAlert {
  rule: string;
  fingerprint: string;
  /** `health.alert.transition`: firing, escalated or resolved. */
  transition: string;
  /** The record's timestamp (the transition's time), epoch ms. */
  atMs: number;
  /** When the endpoint received it, epoch ms. */
  receivedAt: number;
}

export interface EndpointStats {
  mode: FaultMode;
  /** Requests per URL path and per answer (`200`, `500`, `429`, `hang`, and `400` for a body that is not OTLP/JSON). */
  requests: Record<string, Record<string, number>>;
  /** Accepted (200) metric exports. */
  metricExports: number;
  /** Accepted (200) log exports, and the log records in them. */
  logExports: number;
  logRecords: number;
  /** `health.alert` records received, oldest first (at most MAX_KEPT_ALERTS; the rest counted). */
  alerts: ReceivedAlert[];
  alertsNotKept: number;
}

export type EndpointMessage =
  | { type: 'ready'; port: number }
  | { type: 'mode'; id: number; mode: FaultMode; error?: string }
  | { type: 'stats'; id: number; stats: EndpointStats };

// ---- service under test ----

/** The service's custom health check; its alert rule is `check:outage`. */
export const CHECK_NAME = 'outage';

export type ServiceCommand =
  | { type: 'check'; id: number; healthy: boolean }
  | { type: 'stats'; id: number }
  | { type: 'cpu'; id: number }
  | { type: 'stop'; id: number };

/** One entry of `monitor.alertHistory()`, reduced to what identifies it. */
export interface HistoryTransition {
  /** epoch ms */
  at: number;
  kind: string;
  rule: string;
  fingerprint: string;
  level: string;
}

export interface ServiceStats {
  /** The service's Date.now() when it answered. */
  now: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Every transition in the alert history, oldest first. */
  history: HistoryTransition[];
  /**
   * Each time the `outage` check returned a different answer than the time before (epoch ms,
   * the new answer): the alerts the monitor was given to raise. A toggle the check never saw
   * (switched back before the next check) is not here, and raises nothing.
   */
  checkFlips: { at: number; healthy: boolean }[];
  /** `alert` events the monitor emitted, and how many of them are not in the alert history. */
  alertEvents: number;
  alertEventsNotInHistory: number;
  /** The otel-log sink's counters (records handed to the LoggerProvider). */
  otelLogSink: { sent: number; failed: number; dropped: number };
  /** Numeric counters of the OTLP log exporter (e.g. droppedBatches; whatever it exposes). */
  logExporter: Record<string, number>;
  /** HealthMonitor.internalErrors. */
  internalErrors: number;
  /** OTel diag messages at WARN and ERROR: counts, and the last few distinct ones. */
  diag: { warn: number; error: number; recent: string[] };
}

export type ServiceMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; error: string }
  | { type: 'check'; id: number; at: number }
  | { type: 'stats'; id: number; stats: ServiceStats }
  /** process.cpuUsage(), user + system, µs: all threads of the service, the export worker included. */
  | { type: 'cpu'; id: number; us: number }
  | { type: 'stopped'; id: number; shutdownMs: number; error?: string };
