// Which package holds the stock exporter of each signal and protocol, and whether it is
// installed. Both threads use it: the worker loads the package (stock-exporters.ts), the main
// thread checks at construction that it can be found, so that a missing optional peer
// (exporter-*-otlp-grpc) is reported when the exporter is built, not at its first export.

import { createRequire } from 'node:module';
import type { OtlpProtocol } from './export-protocol.js';
import type { Signal } from './protocol.js';

const PACKAGES: Record<Signal, Record<OtlpProtocol, string>> = {
  metrics: {
    'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto',
    'http/json': '@opentelemetry/exporter-metrics-otlp-http',
    grpc: '@opentelemetry/exporter-metrics-otlp-grpc',
  },
  logs: {
    'http/protobuf': '@opentelemetry/exporter-logs-otlp-proto',
    'http/json': '@opentelemetry/exporter-logs-otlp-http',
    grpc: '@opentelemetry/exporter-logs-otlp-grpc',
  },
};

/** Set on the error of an export whose stock exporter package is not installed. */
export const EXPORTER_MISSING_CODE = 'OTEL_HEALTH_EXPORTER_MISSING';

export function exporterPackage(signal: Signal, protocol: OtlpProtocol): string {
  return PACKAGES[signal][protocol];
}

/** The message of a missing stock exporter: which package, for what, and how to install it
 * so that the app keeps one copy of each OpenTelemetry package (the version of the app's
 * other exporters). */
export function missingExporterMessage(signal: Signal, protocol: OtlpProtocol, source: string): string {
  const pkg = exporterPackage(signal, protocol);
  const sibling = PACKAGES[signal]['http/json'];
  const chosenBy = source === 'default' ? 'the default protocol' : `chosen by ${source}`;
  return (
    `otel-health: OTLP ${signal} over ${protocol} (${chosenBy}) needs ${pkg}, which is not installed: ` +
    `npm install ${pkg}@<the version of your ${sibling}>. Until then every ${signal} export fails.`
  );
}

/** Where this module is, for resolving packages the way the worker will. */
const requireHere = createRequire(import.meta.url);

/** True when `require.resolve` finds the package from here (both lines publish CommonJS). */
export function isExporterInstalled(signal: Signal, protocol: OtlpProtocol): boolean {
  try {
    requireHere.resolve(exporterPackage(signal, protocol));
    return true;
  } catch {
    return false;
  }
}

/** A `require` that resolves from the installed exporter package, for what only it depends on
 * (the gRPC exporter's @opentelemetry/otlp-grpc-exporter-base). */
export function requireFromExporter(signal: Signal, protocol: OtlpProtocol): NodeJS.Require {
  return createRequire(requireHere.resolve(exporterPackage(signal, protocol)));
}
