import type { ExponentialHistogram as OtelExponentialHistogram, Histogram as OtelHistogram } from '@opentelemetry/sdk-metrics';
import type { ExplicitHistogram } from './explicit-histogram.js';
import type { ExponentialHistogram } from './exponential-histogram.js';

/** An explicit-bucket histogram as an OTel data point value (min and max only when it holds data). */
export function explicitPoint(h: ExplicitHistogram): OtelHistogram {
  return {
    buckets: { boundaries: [...h.bounds], counts: Array.from(h.counts) },
    count: h.count,
    sum: h.sum,
    min: h.count > 0 ? h.min : undefined,
    max: h.count > 0 ? h.max : undefined,
  };
}

/** An exponential histogram (positive values only) as an OTel data point value. */
export function exponentialPoint(h: ExponentialHistogram): OtelExponentialHistogram {
  const s = h.snapshot();
  return {
    count: s.count,
    sum: s.sum,
    scale: s.scale,
    zeroCount: s.zeroCount,
    positive: { offset: s.offset, bucketCounts: s.bucketCounts },
    negative: { offset: 0, bucketCounts: [] },
    min: s.count > 0 ? s.min : undefined,
    max: s.count > 0 ? s.max : undefined,
  };
}
