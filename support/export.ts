/**
 * Small pieces the OTLP export tests and benchmarks share: a reader that only collects (the
 * test calls collect() and hands the result to an exporter), an exporter call as a promise, and
 * environment variables set for the length of a call.
 */
import type { ExportResult } from '@opentelemetry/core';
import { MetricReader } from '@opentelemetry/sdk-metrics';

/** A MetricReader that exports nothing: collect() gives what a push exporter would get. */
export class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One exporter call, resolved with its result. */
export function exportAsync<T>(exporter: { export(items: T, cb: (r: ExportResult) => void): void }, items: T): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

/** Runs fn with some variables set (undefined: unset), then puts them back. */
export function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}
