// The anomaly rules (`anomaly` option): AnomalyScorer + RuleEngine on windows of a fake
// service, driven check by check on a fake clock. The detector itself is tested in
// anomaly.test.ts; here: which windows give points, warm-up, levels and hysteresis through the
// engine, and the bad input at rule level (NaN, gaps, constant series, a step that
// stays, huge values, clock steps).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type MonitoringConfigInput } from '../../src/config/index.js';
import { AnomalyScorer } from '../../src/evaluator/anomaly-scorer.js';
import { RuleEngine } from '../../src/evaluator/rules.js';
import { generatePrometheusRules } from '../../src/rules/prometheus-rules.js';
import type { AlertTransition, DerivedHealthMetrics, HealthMetrics } from '../../src/model/types.js';

const START = 1_700_000_000_000;
const STEP_S = 15;

/** Deterministic noise in [0, 1) (a fixed LCG): the same series on every run. */
function noise(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A window of `checkout`: 100 requests, the given p95, no errors, CPU 10 %. */
function window(timestamp: number, p95: number, over: Partial<DerivedHealthMetrics> = {}): DerivedHealthMetrics {
  return {
    serviceId: 'checkout',
    timestamp,
    windowSeconds: STEP_S,
    requestCount: 100,
    operationCount: 0,
    requestRate: 100 / STEP_S,
    errorCount: 0,
    errorRate: 0,
    responseTime: { avg: p95 / 2, p50: p95 / 2, p95, p99: p95 * 1.2, max: p95 * 1.5 },
    cpu: 0.1,
    connections: 3,
    checks: [],
    ...over,
  };
}

/** Scorer and engine of one configuration, fed check by check: wall and monotonic clocks apart. */
function harness(input: MonitoringConfigInput = {}) {
  const config = parseConfig({ checkInterval: STEP_S, errorThreshold: false, responseTimeThreshold: false, ...input });
  const scorer = new AnomalyScorer(config.anomaly);
  const engine = new RuleEngine(config);
  let mono = 0;
  let wall = START;
  const transitions: AlertTransition[] = [];
  const rows: HealthMetrics[] = [];
  return {
    scorer,
    transitions,
    rows,
    get wall() {
      return wall;
    },
    /** Move the wall clock only (NTP, a resumed VM): the monotonic clock goes on as usual. */
    stepWall(ms: number) {
      wall += ms;
    },
    /** One check of the window `make(wallTime)`. */
    check(make: (timestamp: number) => DerivedHealthMetrics): HealthMetrics {
      mono += STEP_S * 1000;
      wall += STEP_S * 1000;
      const { metrics, transitions: t } = engine.assess(scorer.score(make(wall)), wall, mono);
      transitions.push(...t);
      rows.push(metrics);
      return metrics;
    },
  };
}

const kinds = (ts: AlertTransition[], rule: string) => ts.filter((t) => t.alert.rule === rule).map((t) => t.kind);

/** Every score of every row is a number in [0, 1]. */
function assertScoresValid(rows: HealthMetrics[]): void {
  for (const row of rows) {
    for (const [series, score] of Object.entries(row.anomaly ?? {})) {
      assert.ok(Number.isFinite(score) && score >= 0 && score <= 1, `${series} score ${score} at ${row.timestamp}`);
    }
  }
}

describe('anomaly rules: configuration', () => {
  it('is off by default: no scores, no anomaly rules', () => {
    const h = harness();
    const m = h.check((t) => window(t, 0.04));
    assert.equal(m.anomaly, undefined);
  });

  it('anomaly: true watches p95 response time, error rate, request rate and CPU at WARNING 0.99', () => {
    const config = parseConfig({ anomaly: true });
    assert.ok(config.anomaly);
    assert.deepEqual(config.anomaly.series, ['response_time', 'error_rate', 'request_rate', 'cpu']);
    assert.equal(config.anomaly.warning, 0.99);
    assert.equal(config.anomaly.warmup, 64);
  });

  it('lists every problem of a bad anomaly option in one ConfigError', () => {
    assert.throws(
      () => parseConfig({ anomaly: { series: ['latency' as never, 'cpu', 'cpu'], warmup: 2, warning: 1.5, bogus: 1 } as never }),
      (e: Error) => {
        for (const part of [/anomaly\.series\[0\]: must be one of response_time/, /anomaly\.warmup: must be at least 8 checks/, /anomaly\.warning: must be an anomaly score from 0 to 1/, /anomaly\.bogus: unknown option/]) {
          assert.match(e.message, part);
        }
        return true;
      },
    );
  });

  it('generates no Prometheus rule for it, and says so', () => {
    const result = generatePrometheusRules(parseConfig({ anomaly: true }));
    assert.ok(result.rules.every((r) => !r.labels.rule.startsWith('anomaly')));
    assert.ok(result.notes.some((n) => /anomaly rules \(anomaly:response_time, .*\) run in process only/.test(n)), result.notes.join('\n'));
  });
});

describe('anomaly rules: warm-up', () => {
  it('gives no score until a series has learned `warmup` points, then one per check', () => {
    const h = harness({ anomaly: { series: ['response_time'], warmup: 20 } });
    const rnd = noise();
    for (let i = 0; i < 20; i++) assert.equal(h.check((t) => window(t, 0.04 + 0.01 * rnd())).anomaly?.response_time, undefined);
    const m = h.check((t) => window(t, 0.04 + 0.01 * rnd()));
    assert.equal(typeof m.anomaly?.response_time, 'number');
    assert.equal(h.scorer.learned('checkout', 'response_time'), 21);
  });
});

describe('anomaly rules: a step that stays', () => {
  it('fires anomaly:response_time at the step, then learns the new level and resolves', () => {
    const h = harness({ anomaly: { series: ['response_time'], warmup: 64 } });
    const rnd = noise(7);
    for (let i = 0; i < 300; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    assert.deepEqual(kinds(h.transitions, 'anomaly:response_time'), [], 'quiet before the step');
    for (let i = 0; i < 300; i++) h.check((t) => window(t, 0.4 + 0.04 * rnd()));
    const k = kinds(h.transitions, 'anomaly:response_time');
    assert.equal(k[0], 'firing', `transitions: ${k.join(', ')}`);
    assert.equal(k.at(-1), 'resolved', 'resolved once the new level is learned');
    const fired = h.transitions.find((t) => t.alert.rule === 'anomaly:response_time')!;
    assert.match(fired.alert.message, /^checkout: unusual p95 response time 4\d\dms \(anomaly score [\d.]+ ≥ 0\.99\)/);
    assert.equal(fired.alert.level, 'WARNING');
    assertScoresValid(h.rows);
  });
});

describe('anomaly rules: bad input', () => {
  it('a constant series never fires and scores 0', () => {
    const h = harness({ anomaly: { series: ['response_time', 'cpu'], warmup: 8 } });
    for (let i = 0; i < 400; i++) h.check((t) => window(t, 0.05));
    assert.deepEqual(h.transitions, []);
    assert.ok(h.rows.slice(20).every((r) => r.anomaly?.response_time === 0 && r.anomaly?.cpu === 0));
  });

  it('NaN and infinite values give no point: nothing learned, no score, no NaN', () => {
    const h = harness({ anomaly: { series: ['response_time', 'cpu'], warmup: 8 } });
    for (let i = 0; i < 20; i++) h.check((t) => window(t, 0.05));
    const learned = h.scorer.learned('checkout', 'response_time');
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const m = h.check((t) => window(t, bad, { cpu: bad }));
      assert.deepEqual(m.anomaly, {});
    }
    assert.equal(h.scorer.learned('checkout', 'response_time'), learned);
    assertScoresValid(h.rows);
  });

  it('an hour with no traffic: latency and error rate skip it, request rate learns it as zeros, a firing alert resolves as stale', () => {
    const h = harness({ anomaly: { series: ['response_time', 'error_rate', 'request_rate'], warmup: 16 } });
    const rnd = noise(3);
    for (let i = 0; i < 100; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    h.check((t) => window(t, 3)); // a spike: fires anomaly:response_time
    assert.deepEqual(kinds(h.transitions, 'anomaly:response_time'), ['firing']);
    const learned = h.scorer.learned('checkout', 'response_time');
    const idle = { requestCount: 0, requestRate: 0, errorRate: 0, responseTime: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 } };
    for (let i = 0; i < 240; i++) {
      const m = h.check((t) => window(t, 0, idle));
      assert.equal(m.anomaly?.response_time, undefined);
      assert.equal(m.anomaly?.error_rate, undefined);
    }
    assert.equal(h.scorer.learned('checkout', 'response_time'), learned, 'idle windows are not latency points');
    assert.equal(h.scorer.learned('checkout', 'request_rate'), 101 + 240);
    assert.deepEqual(kinds(h.transitions, 'anomaly:response_time'), ['firing', 'resolved']);
    const resolved = h.transitions.filter((t) => t.alert.rule === 'anomaly:response_time').at(-1)!;
    assert.match(resolved.alert.message, /no data for/);
    // Traffic comes back: the collapse and the return of the request rate are judged, nothing breaks.
    for (let i = 0; i < 50; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    assertScoresValid(h.rows);
  });

  it('huge values keep every score finite in [0, 1]', () => {
    const h = harness({ anomaly: { series: ['response_time', 'connections'], warmup: 8 } });
    const rnd = noise(5);
    for (let i = 0; i < 100; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    for (const v of [1e300, Number.MAX_VALUE, 0.04, 1e-300, Number.MAX_VALUE]) h.check((t) => window(t, v, { connections: v }));
    for (let i = 0; i < 50; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    assertScoresValid(h.rows);
  });

  it('wall-clock steps (an hour back, a day ahead) neither break scores nor fire anything on a steady series', () => {
    const h = harness({ anomaly: { series: ['response_time', 'request_rate'], warmup: 16 } });
    const rnd = noise(11);
    for (let i = 0; i < 200; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    h.stepWall(-3_600_000);
    for (let i = 0; i < 100; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    h.stepWall(86_400_000);
    for (let i = 0; i < 100; i++) h.check((t) => window(t, 0.04 + 0.004 * rnd()));
    assertScoresValid(h.rows);
    assert.ok(h.rows.every((r) => r.anomaly !== undefined));
    const fired = h.transitions.filter((t) => t.kind === 'firing').map((t) => t.alert.rule);
    assert.ok(fired.length <= 2, `at most a stray warning or two on 400 noisy checks, got ${fired.join(', ')}`);
  });

  it('each service has its own detectors', () => {
    const h = harness({ anomaly: { series: ['response_time'], warmup: 8 } });
    for (let i = 0; i < 20; i++) h.check((t) => window(t, 0.05));
    const other = new AnomalyScorer(parseConfig({ anomaly: { series: ['response_time'], warmup: 8 } }).anomaly);
    assert.equal(other.learned('checkout', 'response_time'), 0);
    assert.equal(h.scorer.learned('payments', 'response_time'), 0);
    h.scorer.reset('checkout');
    assert.equal(h.scorer.learned('checkout', 'response_time'), 0);
  });
});
