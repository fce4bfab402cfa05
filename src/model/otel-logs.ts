/**
 * The parts of the OpenTelemetry Logs API that otel-health uses, declared here by shape.
 *
 * The two OpenTelemetry JS lines keep these types in different packages: the 2.x line in
 * `@opentelemetry/api-logs` (0.2xx), the 3.x line in `@opentelemetry/api` itself (1.10, where
 * api-logs was merged). Declaring the few members we call lets the app's own LoggerProvider of
 * either line be passed in, with no api-logs copy added to a 3.x app and no import that exists
 * on one line only. Both lines' `Logger` and `LoggerProvider` satisfy these shapes.
 */

/** An attribute value of a log record (a subset of AnyValue: what alert records carry). */
export type LogAttributeValue = string | number | boolean | undefined;

/** The log record otel-health emits (the fields of the API's LogRecord it sets). */
export interface AlertLogRecord {
  eventName?: string;
  /** Epoch milliseconds. */
  timestamp?: number;
  severityNumber?: number;
  severityText?: string;
  body?: string;
  attributes?: Record<string, LogAttributeValue>;
}

/** What otel-health needs of a Logger: `emit`. */
export interface LoggerLike {
  emit(record: AlertLogRecord): void;
}

/** What otel-health needs of a LoggerProvider: `getLogger`. Any OTel LoggerProvider fits. */
export interface LoggerProviderLike {
  getLogger(name: string, version?: string, options?: { schemaUrl?: string }): LoggerLike;
}

/** SeverityNumber values of the OpenTelemetry log data model that alert records use. */
export const SeverityNumber = {
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
} as const;
