// OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION, read for WorkerMetricExporter's
// default aggregationPreference (metric-exporter.ts).

import { diag } from '@opentelemetry/api';
import type { AggregationOption, AggregationSelector, InstrumentType } from '@opentelemetry/sdk-metrics';
import { AggregationType, InstrumentType as InstrumentTypes } from '@opentelemetry/sdk-metrics';

const DEFAULT_AGGREGATION: AggregationOption = Object.freeze({ type: AggregationType.DEFAULT });

/**
 * `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION` as an AggregationSelector, or
 * undefined (the stock default, `{ type: DEFAULT }` for every instrument) when unset.
 *
 * Reimplemented, minimally: the stock OTLPMetricExporter 0.223 does not read this variable;
 * in the 0.223 family only @opentelemetry/configuration (EnvironmentConfigFactory) with
 * sdk-node's aggregationSelectorFromConfig maps it, and neither is exported for reuse.
 * `base2_exponential_bucket_histogram` gives histograms `{ type: EXPONENTIAL_HISTOGRAM }`
 * (other instruments DEFAULT), as there. `explicit_bucket_histogram` (the specified default)
 * and unknown values (with a warning) leave the DEFAULT aggregation in place — which is an
 * explicit-bucket histogram — instead of sdk-node's `{ type: EXPLICIT_BUCKET_HISTOGRAM }`,
 * because that option ignores an instrument's `advice.explicitBucketBoundaries` and would put
 * second-valued histograms into the default millisecond buckets.
 */
export function histogramAggregationFromEnv(
  value = process.env.OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION,
): AggregationSelector | undefined {
  const raw = value?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'explicit_bucket_histogram') return undefined;
  if (raw !== 'base2_exponential_bucket_histogram') {
    diag.warn(
      `OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION is '${value}', but only 'explicit_bucket_histogram' and 'base2_exponential_bucket_histogram' are allowed; using 'explicit_bucket_histogram'.`,
    );
    return undefined;
  }
  const exponential: AggregationOption = { type: AggregationType.EXPONENTIAL_HISTOGRAM };
  return (instrumentType: InstrumentType) => (instrumentType === InstrumentTypes.HISTOGRAM ? exponential : DEFAULT_AGGREGATION);
}
