/**
 * Event loop: delay (from `perf_hooks.monitorEventLoopDelay`) and utilisation (from
 * `performance.eventLoopUtilization()`), both over this source's own window.
 *
 * Each source instance owns its histogram and resets it after reading, so every reader sees
 * the delays of its own window and one reader's collect never clears another's. Two things
 * about the histogram are worth knowing:
 * - it records the whole interval between its timer's turns (Node's RecordDelta: the time since
 *   the previous turn), so an idle loop shows about the resolution (10 ms by default), not zero.
 *   The `nodejs.eventloop.delay.*` gauges report the values as is, as the semantic conventions
 *   describe them (histogram.min, .max, .percentile(…) of `monitorEventLoopDelay`), so they
 *   compare with other producers of the same names (`@opentelemetry/instrumentation-runtime-node`
 *   does the same). HealthMetrics.eventLoopDelay (the `event_loop_delay` rule, history, status
 *   page, `/health`) is the delay beyond the interval: the evaluator subtracts the resolution
 *   (`HealthReader.eventLoopResolution`, see evaluator/derive.ts);
 * - `reset()` also forgets the time of its last turn, so the first interval after a collect is
 *   not recorded: a block that starts within one resolution after a collect can be missed.
 */
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import { InstrumentType, type MetricData } from '@opentelemetry/sdk-metrics';
import {
  METRIC_NODEJS_ELD_MAX,
  METRIC_NODEJS_ELD_MEAN,
  METRIC_NODEJS_ELD_MIN,
  METRIC_NODEJS_ELD_P50,
  METRIC_NODEJS_ELD_P90,
  METRIC_NODEJS_ELD_P99,
  METRIC_NODEJS_ELU,
} from '../names.js';
import {
  NO_ATTRIBUTES,
  defineMetric,
  gauge,
  gaugePoint,
  type CollectWindow,
  type RuntimeDescriptor,
} from './points.js';

const NANOS_PER_SECOND = 1e9;

function delayGauge(name: string, what: string): RuntimeDescriptor {
  const description = `Event loop ${what} delay since the previous collect.`;
  return defineMetric(name, InstrumentType.GAUGE, 's', description);
}
const ELD_MIN = delayGauge(METRIC_NODEJS_ELD_MIN, 'minimum');
const ELD_MAX = delayGauge(METRIC_NODEJS_ELD_MAX, 'maximum');
const ELD_MEAN = delayGauge(METRIC_NODEJS_ELD_MEAN, 'mean');
const ELD_P50 = delayGauge(METRIC_NODEJS_ELD_P50, '50th percentile');
const ELD_P90 = delayGauge(METRIC_NODEJS_ELD_P90, '90th percentile');
const ELD_P99 = delayGauge(METRIC_NODEJS_ELD_P99, '99th percentile');
const ELU = defineMetric(
  METRIC_NODEJS_ELU,
  InstrumentType.GAUGE,
  '1',
  'Fraction of time the event loop was busy since the previous collect.',
);

export class EventLoopMetrics {
  private readonly histogram: IntervalHistogram;
  private previousElu: EventLoopUtilization;

  /** @param resolutionMs sampling interval of the delay histogram, a positive integer. */
  constructor(resolutionMs: number) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
    this.previousElu = performance.eventLoopUtilization();
  }

  /** Delay gauges; none when the histogram has no sample in this window (NaN mean, bogus min). */
  collectDelay(window: CollectWindow): MetricData[] {
    const h = this.histogram;
    try {
      if (h.count === 0) return [];
      const point = (nanos: number) => [
        gaugePoint(window, NO_ATTRIBUTES, nanos / NANOS_PER_SECOND),
      ];
      return [
        gauge(ELD_MIN, window, point(h.min)),
        gauge(ELD_MAX, window, point(h.max)),
        gauge(ELD_MEAN, window, point(h.mean)),
        gauge(ELD_P50, window, point(h.percentile(50))),
        gauge(ELD_P90, window, point(h.percentile(90))),
        gauge(ELD_P99, window, point(h.percentile(99))),
      ];
    } finally {
      // Start this source's next window, even if reading failed.
      h.reset();
    }
  }

  /** Utilisation of the loop between the previous collect of this source and now. */
  collectUtilization(window: CollectWindow): MetricData[] {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.previousElu);
    this.previousElu = now;
    // NaN when no time passed (idle + active = 0), e.g. before the loop started.
    if (!Number.isFinite(utilization)) return [];
    return [gauge(ELU, window, [gaugePoint(window, NO_ATTRIBUTES, utilization)])];
  }

  shutdown(): void {
    this.histogram.disable();
  }
}
