// Which OTLP transport an exporter uses, chosen the standard way: the `protocol` option, else
// OTEL_EXPORTER_OTLP_{METRICS,LOGS}_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// `http/protobuf` (the OpenTelemetry specification's default, which @opentelemetry/sdk-node
// follows). The stock exporters themselves are built per protocol in the worker
// (stock-exporters.ts); each reads its own endpoint, header, timeout and compression variables
// with the spec's rules (gRPC: port 4317 and no `/v1/<signal>` path; http/*: 4318 and the path).

import type { Signal } from './protocol.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Every value the protocol variables take. config/env.ts checks the variables against the
 * same three values (it may not import this folder): keep them in step. */
export const OTLP_PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];

export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

/** The variables that choose the protocol of a signal, the one that wins first. */
export function protocolVariables(signal: Signal): [specific: string, general: string] {
  return [`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL'];
}

export interface ProtocolChoice {
  protocol: OtlpProtocol;
  /** what chose it: `protocol option`, a variable's name, or `default` */
  source: string;
}

function isProtocol(value: string): value is OtlpProtocol {
  return (OTLP_PROTOCOLS as readonly string[]).includes(value);
}

/**
 * The protocol of one exporter. An empty variable counts as unset (as in the SDK); a value
 * other than the three throws a RangeError naming the variable (or the option) and the values
 * it takes: an exporter that silently picked another transport would send to a port or path
 * that does not answer, which is harder to find than a message at start-up.
 */
export function resolveProtocol(
  signal: Signal,
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProtocolChoice {
  const allowed = OTLP_PROTOCOLS.join(', ');
  if (explicit !== undefined) {
    if (!isProtocol(explicit)) throw new RangeError(`otel-health: protocol must be one of ${allowed}, got ${JSON.stringify(explicit)}`);
    return { protocol: explicit, source: 'protocol option' };
  }
  for (const name of protocolVariables(signal)) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!isProtocol(raw)) throw new RangeError(`otel-health: ${name} must be one of ${allowed}, got ${JSON.stringify(raw)}`);
    return { protocol: raw, source: name };
  }
  return { protocol: DEFAULT_OTLP_PROTOCOL, source: 'default' };
}

/** The request content type of a protocol, for messages about what an endpoint refused. */
export function contentTypeOf(protocol: OtlpProtocol): string {
  switch (protocol) {
    case 'http/protobuf':
      return 'application/x-protobuf';
    case 'http/json':
      return 'application/json';
    case 'grpc':
      return 'application/grpc';
  }
}
