import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import {
  RuleEngine,
  alertFingerprint,
  buildRules,
  formatPercent,
  formatSeconds,
  hasData,
  statusOf,
} from '../../src/evaluator/rules.js';
import { formatDuration } from '../../src/model/duration.js';
import { highestLevel } from '../../src/model/levels.js';
import { MonitoringLevel, type DerivedHealthMetrics } from '../../src/model/types.js';

const START = 1_700_000_000_000;

/** A window of `checkout` with the given overrides: 100 requests, no errors, CPU 10 %. */
function window(now: number, over: Partial<DerivedHealthMetrics> = {}, windowSeconds = 15): DerivedHealthMetrics {
  return {
    serviceId: 'checkout',
    timestamp: now,
    windowSeconds,
    requestCount: 100,
    operationCount: 0,
    requestRate: 100 / windowSeconds,
    errorCount: 0,
    errorRate: 0,
    responseTime: { avg: 0.02, p50: 0.01, p95: 0.05, p99: 0.1, max: 0.2 },
    cpu: 0.1,
    connections: 3,
    checks: [],
    ...over,
  };
}

const errors = (rate: number, requests = 100): Partial<DerivedHealthMetrics> => ({
  requestCount: requests,
  errorCount: Math.round(rate * requests),
  errorRate: rate,
});

/** A fake clock stepping by the check interval. */
function clock(stepSeconds = 15) {
  let now = START;
  return {
    get now() {
      return now;
    },
    tick() {
      now += stepSeconds * 1000;
      return now;
    },
  };
}

describe('buildRules', () => {
  it('names the rules as the contract says, in order, leaving out rules set to false', () => {
    const config = parseConfig({ checks: { db: () => true, cache: { check: () => true, level: 'warning' } } });
    assert.deepEqual(
      buildRules(config).map((r) => r.name),
      ['error_rate', 'response_time', 'cpu', 'memory', 'connections', 'event_loop_delay', 'check:db', 'check:cache'],
    );
    const off = parseConfig({ errorThreshold: false, resourceThresholds: { connections: false } });
    assert.deepEqual(
      buildRules(off).map((r) => r.name),
      ['response_time', 'cpu', 'memory', 'event_loop_delay'],
    );
  });

  it('a number is the ERROR level only', () => {
    const [rule] = buildRules(parseConfig({ errorThreshold: 0.2 }));
    assert.equal(rule!.error, 0.2);
    assert.equal(rule!.warning, undefined);
    assert.equal(rule!.critical, undefined);
  });
});

describe('RuleEngine', () => {
  it('fires after `for` with a readable message, at the level reached', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout', errorThreshold: { error: 0.1, for: 30 } }));
    const c = clock();
    assert.deepEqual(engine.evaluate(window(c.tick(), errors(0.234)), c.now), [], 'first seen');
    assert.deepEqual(engine.evaluate(window(c.tick(), errors(0.234)), c.now), [], 'first seen 15s ago only');
    const [t, ...rest] = engine.evaluate(window(c.tick(), errors(0.234)), c.now);
    assert.equal(rest.length, 0);
    assert.equal(t!.kind, 'firing');
    assert.equal(t!.at, c.now);
    assert.equal(t!.alert.rule, 'error_rate');
    assert.equal(t!.alert.level, MonitoringLevel.ERROR);
    assert.equal(t!.alert.state, 'firing');
    assert.equal(t!.alert.value, 0.234);
    assert.equal(t!.alert.threshold, 0.1);
    assert.equal(t!.alert.serviceId, 'checkout');
    assert.equal(t!.alert.startsAt, c.now);
    assert.equal(t!.alert.endsAt, undefined);
    assert.equal(t!.alert.message, 'checkout: error rate 23.4% ≥ 10% since first seen 30s ago');
    assert.equal(t!.alert.fingerprint, alertFingerprint('checkout', 'error_rate'));
    assert.deepEqual(engine.firing('checkout').map((a) => a.rule), ['error_rate']);
  });

  it('for: a dip below the threshold restarts the count', () => {
    const engine = new RuleEngine(parseConfig({ errorThreshold: { error: 0.1, for: 30 } }));
    const c = clock();
    assert.equal(engine.evaluate(window(c.tick(), errors(0.2)), c.now).length, 0);
    assert.equal(engine.evaluate(window(c.tick(), errors(0.05)), c.now).length, 0);
    assert.equal(engine.evaluate(window(c.tick(), errors(0.2)), c.now).length, 0, '30s after the first sighting, but the dip restarted the count');
    assert.equal(engine.evaluate(window(c.tick(), errors(0.2)), c.now).length, 0);
    assert.equal(engine.evaluate(window(c.tick(), errors(0.2)), c.now).length, 1, '30s after the first sighting since the dip');
  });

  it('with for 0 the first window over the threshold fires', () => {
    const engine = new RuleEngine(parseConfig({ checkInterval: 0.2, errorThreshold: 0.1 }));
    const c = clock(0.2);
    const [t] = engine.evaluate(window(c.tick(), errors(0.5), 0.2), c.now);
    assert.equal(t?.kind, 'firing');
    assert.match(t!.alert.message, /error rate 50% ≥ 10% over the last 0\.2s$/);
  });

  it('minRequests: too few requests are not judged, and do not resolve a firing alert', () => {
    const engine = new RuleEngine(parseConfig({ errorThreshold: { error: 0.1, minRequests: 10 } }));
    const c = clock();
    assert.deepEqual(engine.evaluate(window(c.tick(), errors(1, 9)), c.now), []);
    assert.equal(engine.evaluate(window(c.tick(), errors(0.5, 10)), c.now)[0]?.kind, 'firing');
    assert.deepEqual(engine.evaluate(window(c.tick(), errors(0, 3)), c.now), [], 'few requests: held');
    assert.equal(engine.firing().length, 1);
  });

  it('escalates level by level; drops with hysteresis, each drop a de-escalated transition; resolves below the recovery bound', () => {
    // Levels 5 % / 10 % / 25 %, recovery 0.8: bounds 4 % / 8 % / 20 %.
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout' }));
    const c = clock();
    const step = (rate: number) => engine.evaluate(window(c.tick(), errors(rate)), c.now);
    const levelNow = () => highestLevel(engine.firing('checkout'));

    let t = step(0.06);
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level]), [['firing', MonitoringLevel.WARNING]]);
    const fingerprint = t[0]!.alert.fingerprint;
    const startsAt = t[0]!.alert.startsAt;

    t = step(0.12);
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level, x.previousLevel]), [['escalated', MonitoringLevel.ERROR, MonitoringLevel.WARNING]]);
    assert.equal(t[0]!.alert.fingerprint, fingerprint, 'fingerprint does not depend on the level');
    assert.equal(t[0]!.alert.startsAt, startsAt);
    assert.equal(t[0]!.alert.threshold, 0.1);

    t = step(0.3);
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level]), [['escalated', MonitoringLevel.CRITICAL]]);
    assert.equal(t[0]!.alert.message, 'checkout: error rate 30% ≥ 25% over the last 15s');

    assert.deepEqual(step(0.21), [], 'above 0.8 × 25 %: CRITICAL holds');
    assert.equal(levelNow(), MonitoringLevel.CRITICAL);

    t = step(0.09);
    assert.deepEqual(
      t.map((x) => [x.kind, x.alert.level, x.previousLevel]),
      [['de-escalated', MonitoringLevel.ERROR, MonitoringLevel.CRITICAL]],
      'below 20 %, above 8 %: ERROR',
    );
    assert.equal(levelNow(), MonitoringLevel.ERROR);
    assert.equal(engine.firing('checkout')[0]!.threshold, 0.1);

    t = step(0.045);
    assert.deepEqual(
      t.map((x) => [x.kind, x.alert.level, x.previousLevel]),
      [['de-escalated', MonitoringLevel.WARNING, MonitoringLevel.ERROR]],
      'below 8 %, above 4 %: WARNING',
    );
    assert.equal(levelNow(), MonitoringLevel.WARNING);

    t = step(0.12);
    assert.deepEqual(t.map((x) => x.kind), ['escalated'], 'a rise after a drop is an escalation again');

    assert.deepEqual(step(0.085), [], 'ERROR holds at 8.5 %');
    assert.deepEqual(step(0.05).map((x) => [x.kind, x.alert.level]), [['de-escalated', MonitoringLevel.WARNING]]);
    t = step(0.039);
    assert.equal(t.length, 1);
    assert.equal(t[0]!.kind, 'resolved');
    assert.equal(t[0]!.alert.state, 'resolved');
    assert.equal(t[0]!.alert.level, MonitoringLevel.WARNING, 'the level that was firing');
    assert.equal(t[0]!.alert.endsAt, c.now);
    assert.equal(t[0]!.alert.value, 0.039);
    assert.equal(t[0]!.alert.message, 'checkout: error rate 3.9% < 4%, resolved after 2m15s');
    assert.equal(levelNow(), MonitoringLevel.INFO);
    assert.deepEqual(engine.firing(), []);
  });

  it('jumps straight to the highest level reached', () => {
    const engine = new RuleEngine(parseConfig({}));
    const c = clock();
    const t = engine.evaluate(window(c.tick(), { cpu: 0.99 }), c.now);
    assert.deepEqual(t.map((x) => [x.alert.rule, x.kind, x.alert.level]), [['cpu', 'firing', MonitoringLevel.CRITICAL]]);
    assert.match(t[0]!.alert.message, /CPU 99% ≥ 95% over the last 15s$/);
  });

  it('recoveryThreshold: resolves only below the absolute value', () => {
    const engine = new RuleEngine(parseConfig({ resourceThresholds: { connections: { error: 100, recoveryThreshold: 50 } } }));
    const c = clock();
    assert.equal(engine.evaluate(window(c.tick(), { connections: 120 }), c.now)[0]?.kind, 'firing');
    assert.deepEqual(engine.evaluate(window(c.tick(), { connections: 60 }), c.now), []);
    const [t] = engine.evaluate(window(c.tick(), { connections: 49 }), c.now);
    assert.equal(t?.kind, 'resolved');
    assert.match(t!.alert.message, /open connections 49 < 50/);
  });

  it('no data for staleAfter (4 × checkInterval) resolves a firing alert', () => {
    const engine = new RuleEngine(parseConfig({ errorThreshold: 0.1 }));
    const c = clock();
    assert.equal(engine.evaluate(window(c.tick(), errors(0.5)), c.now).length, 1);
    for (let i = 0; i < 3; i++) assert.deepEqual(engine.evaluate(window(c.tick(), errors(0, 0)), c.now), []);
    const [t] = engine.evaluate(window(c.tick(), errors(0, 0)), c.now);
    assert.equal(t?.kind, 'resolved');
    assert.equal(t!.alert.value, 0.5, 'the last value judged');
    assert.match(t!.alert.message, /error rate: no data for 1m, resolved after 1m$/);
  });

  it('other response-time, memory and event-loop rules read their values', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'api' }));
    const c = clock();
    const t = engine.evaluate(
      window(c.tick(), {
        serviceId: 'api',
        responseTime: { avg: 0.5, p50: 0.4, p95: 1.234, p99: 2, max: 3 },
        memory: { rss: 1, utilization: 0.91 },
        eventLoopDelay: { p50: 0.01, p99: 0.612, max: 1 },
      }),
      c.now,
    );
    const byRule = Object.fromEntries(t.map((x) => [x.alert.rule, x.alert]));
    assert.equal(byRule.response_time?.level, MonitoringLevel.ERROR);
    assert.equal(byRule.response_time?.message, 'api: p95 response time 1.23s ≥ 1s over the last 15s');
    assert.equal(byRule.memory?.level, MonitoringLevel.ERROR);
    assert.equal(byRule.memory?.message, 'api: memory 91% ≥ 90% over the last 15s');
    assert.equal(byRule.event_loop_delay?.level, MonitoringLevel.ERROR);
    assert.equal(byRule.event_loop_delay?.message, 'api: event-loop delay p99 612ms ≥ 500ms over the last 15s');
  });

  it('custom checks: check:<name> fires while failing and resolves when passing', () => {
    const engine = new RuleEngine(parseConfig({ checks: { db: () => true, cache: { check: () => true, level: 'warning' } } }));
    const c = clock();
    const failing = [
      { name: 'db', ok: false, durationMs: 5, error: 'ECONNREFUSED' },
      { name: 'cache', ok: false, durationMs: 1 },
    ];
    const t = engine.evaluate(window(c.tick(), { checks: failing }), c.now);
    assert.deepEqual(
      t.map((x) => [x.alert.rule, x.alert.level, x.alert.value, x.alert.threshold]),
      [
        ['check:db', MonitoringLevel.ERROR, 1, 1],
        ['check:cache', MonitoringLevel.WARNING, 1, 1],
      ],
    );
    assert.equal(t[0]!.alert.message, 'checkout: check "db" failing: ECONNREFUSED');
    const ok = failing.map((f) => ({ name: f.name, ok: true, durationMs: 1 }));
    const back = engine.evaluate(window(c.tick(), { checks: ok }), c.now);
    assert.deepEqual(back.map((x) => [x.alert.rule, x.kind]), [
      ['check:db', 'resolved'],
      ['check:cache', 'resolved'],
    ]);
    assert.equal(back[0]!.alert.message, 'checkout: check "db" passing again, resolved after 15s');
  });

  it('a check result no configuration names still gets an ERROR rule', () => {
    const engine = new RuleEngine(parseConfig({}));
    const c = clock();
    const [t] = engine.evaluate(window(c.tick(), { checks: [{ name: 'adhoc', ok: false, durationMs: 1 }] }), c.now);
    assert.equal(t?.alert.rule, 'check:adhoc');
    assert.equal(t?.alert.level, MonitoringLevel.ERROR);
  });

  it('keeps services apart', () => {
    const engine = new RuleEngine(parseConfig({ errorThreshold: 0.1 }));
    const c = clock();
    engine.evaluate(window(c.tick(), { ...errors(0.5), serviceId: 'a' }), c.now);
    engine.evaluate(window(c.now, { ...errors(0), serviceId: 'b' }), c.now);
    assert.equal(engine.firing('a').length, 1);
    assert.equal(engine.firing('b').length, 0);
    assert.notEqual(alertFingerprint('a', 'error_rate'), alertFingerprint('b', 'error_rate'));
    assert.notEqual(alertFingerprint('a', 'cpu'), alertFingerprint('a', 'error_rate'));
    assert.equal(alertFingerprint('a', 'cpu'), alertFingerprint('a', 'cpu'));
    engine.reset('a');
    assert.equal(engine.firing().length, 0);
  });

  it('assess: status and level follow the firing alerts; no data is unknown', () => {
    const engine = new RuleEngine(parseConfig({}));
    const c = clock();
    let r = engine.assess(window(c.tick()), c.now);
    assert.equal(r.metrics.status, 'healthy');
    assert.equal(r.metrics.level, MonitoringLevel.INFO);
    assert.deepEqual(r.metrics.alerts, []);

    r = engine.assess(window(c.tick(), { cpu: 0.75 }), c.now);
    assert.equal(r.metrics.status, 'degraded');
    assert.equal(r.metrics.level, MonitoringLevel.WARNING);
    assert.deepEqual(r.metrics.alerts.map((a) => a.rule), ['cpu']);

    r = engine.assess(window(c.tick(), { cpu: 0.1, ...errors(0.5) }), c.now);
    assert.equal(r.metrics.status, 'unhealthy');
    assert.equal(r.metrics.level, MonitoringLevel.CRITICAL);
    assert.deepEqual(r.transitions.map((t) => [t.alert.rule, t.kind]), [
      ['error_rate', 'firing'],
      ['cpu', 'resolved'],
    ]);

    const empty = engine.assess(
      { ...window(c.tick(), errors(0, 0)), cpu: undefined, connections: 0 },
      c.now,
    );
    assert.equal(empty.metrics.status, 'unknown');
  });
});

describe('levels, status, data, formatting', () => {
  it('statusOf and highestLevel', () => {
    assert.equal(statusOf(MonitoringLevel.INFO, true), 'healthy');
    assert.equal(statusOf(MonitoringLevel.WARNING, true), 'degraded');
    assert.equal(statusOf(MonitoringLevel.ERROR, true), 'unhealthy');
    assert.equal(statusOf(MonitoringLevel.CRITICAL, true), 'unhealthy');
    assert.equal(statusOf(MonitoringLevel.INFO, false), 'unknown');
    assert.equal(highestLevel([]), MonitoringLevel.INFO);
    assert.equal(highestLevel([{ level: MonitoringLevel.WARNING }, { level: MonitoringLevel.CRITICAL }]), MonitoringLevel.CRITICAL);
  });

  it('hasData: a request, a runtime sample, a connection or a check', () => {
    const none = { ...window(START, errors(0, 0)), cpu: undefined, connections: 0 };
    assert.equal(hasData(none), false);
    assert.equal(hasData({ ...none, requestCount: 1 }), true);
    assert.equal(hasData({ ...none, cpu: 0 }), true);
    assert.equal(hasData({ ...none, memory: { rss: 1 } }), true);
    assert.equal(hasData({ ...none, eventLoopDelay: { p50: 0, p99: 0, max: 0 } }), true);
    assert.equal(hasData({ ...none, connections: 1 }), true);
    assert.equal(hasData({ ...none, checks: [{ name: 'x', ok: true, durationMs: 0 }] }), true);
  });

  it('formats values and durations', () => {
    assert.equal(formatPercent(0.234), '23.4%');
    assert.equal(formatPercent(0.1), '10%');
    assert.equal(formatPercent(0.005), '0.5%');
    assert.equal(formatSeconds(1), '1s');
    assert.equal(formatSeconds(1.234), '1.23s');
    assert.equal(formatSeconds(0.5), '500ms');
    assert.equal(formatSeconds(0.0012), '1.2ms');
    assert.equal(formatDuration(0.2), '0.2s');
    assert.equal(formatDuration(30), '30s');
    assert.equal(formatDuration(120), '2m');
    assert.equal(formatDuration(150), '2m30s');
    assert.equal(formatDuration(3900), '1h5m');
  });
});

describe('issue 11: durations tell the truth, level changes are transitions', () => {
  /** Checks every `step` s on a monotonic clock; the wall clock runs an arbitrary offset away. */
  function checks(engine: RuleEngine, step = 15) {
    let mono = 5_000; // monotonic ms: unrelated to the wall clock
    const wall = () => START + mono;
    return {
      /** Seconds since the clock started. */
      get t() {
        return (mono - 5_000) / 1000;
      },
      check(over: Partial<DerivedHealthMetrics>) {
        mono += step * 1000;
        return engine.evaluate(window(wall(), over, step), wall(), mono);
      },
    };
  }

  it('for: 60 at 15 s checks fires at the first check ≥ first seen + 60 s, not at + 45 s', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout', errorThreshold: { error: 0.1, for: 60 } }));
    const c = checks(engine);
    assert.deepEqual(c.check(errors(0)), []);
    assert.deepEqual(c.check(errors(0.2)), [], 'first seen (t = 30 s)');
    const firstSeen = c.t;
    for (const after of [15, 30, 45]) {
      assert.deepEqual(c.check(errors(0.2)), [], `first seen + ${after}s: the wait has not passed`);
      assert.equal(c.t - firstSeen, after);
    }
    const fired = c.check(errors(0.2));
    assert.equal(c.t - firstSeen, 60);
    assert.deepEqual(fired.map((x) => [x.kind, x.alert.level]), [['firing', MonitoringLevel.ERROR]]);
    assert.equal(fired[0]!.alert.message, 'checkout: error rate 20% ≥ 10% since first seen 1m ago');
  });

  it('for: the wait counts from the first check that saw it, whatever the window length', () => {
    // 10 s checks, for: 15: first seen at check 1, fires at check 3 (20 s later), not at check 2
    // (whose window would start 10 s before the first sighting: 20 s ≥ 15 s by the old count).
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout', errorThreshold: { error: 0.1, for: 15 } }));
    const c = checks(engine, 10);
    assert.deepEqual(c.check(errors(0.5)), []);
    assert.deepEqual(c.check(errors(0.5)), [], '10 s after first seen');
    const [t] = c.check(errors(0.5));
    assert.equal(t?.kind, 'firing');
    assert.equal(t!.alert.message, 'checkout: error rate 50% ≥ 10% since first seen 20s ago');
  });

  it('the first check that sees a level says "over the last <window>", not "for <window>"', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout' }));
    const c = checks(engine);
    const [t] = c.check(errors(0.3));
    assert.equal(t?.kind, 'firing');
    assert.equal(t!.alert.level, MonitoringLevel.CRITICAL);
    assert.equal(t!.alert.message, 'checkout: error rate 30% ≥ 25% over the last 15s');
    assert.doesNotMatch(t!.alert.message, /for 15s/);
  });

  it('a later message gives the time since the level was first seen; escalation levels each count their own', () => {
    // WARNING 5 %, ERROR 10 %, for 30 s: WARNING first seen at 15 s, ERROR at 30 s.
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout', errorThreshold: { warning: 0.05, error: 0.1, for: 30 } }));
    const c = checks(engine);
    assert.deepEqual(c.check(errors(0.06)), [], 't=15 s: WARNING first seen');
    assert.deepEqual(c.check(errors(0.12)), [], 't=30 s: ERROR first seen, WARNING seen for 15 s');
    let t = c.check(errors(0.12));
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level]), [['firing', MonitoringLevel.WARNING]], 't=45 s: WARNING due, ERROR not yet');
    assert.equal(t[0]!.alert.message, 'checkout: error rate 12% ≥ 5% since first seen 30s ago');
    t = c.check(errors(0.12));
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level, x.previousLevel]), [['escalated', MonitoringLevel.ERROR, MonitoringLevel.WARNING]]);
    assert.equal(t[0]!.alert.message, 'checkout: error rate 12% ≥ 10% since first seen 30s ago');
  });

  it('custom checks: the first failing check says only that it fails; later ones since when', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout', checks: { db: { check: () => true, for: 30 }, cache: () => true } }));
    const c = checks(engine);
    const failing = [
      { name: 'db', ok: false, durationMs: 5, error: 'ECONNREFUSED' },
      { name: 'cache', ok: false, durationMs: 1 },
    ];
    let t = c.check({ checks: failing });
    assert.deepEqual(t.map((x) => [x.alert.rule, x.alert.message]), [['check:cache', 'checkout: check "cache" failing']]);
    c.check({ checks: failing });
    t = c.check({ checks: failing });
    assert.deepEqual(t.map((x) => [x.alert.rule, x.alert.message]), [
      ['check:db', 'checkout: check "db" failing since first seen 30s ago: ECONNREFUSED'],
    ]);
  });

  it('CRITICAL → ERROR while firing is one de-escalated transition; a later resolve carries ERROR', () => {
    // Levels 5 % / 10 % / 25 %, recovery 0.8: bounds 4 % / 8 % / 20 %.
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout' }));
    const c = checks(engine);
    const fired = c.check(errors(0.3));
    assert.deepEqual(fired.map((x) => [x.kind, x.alert.level]), [['firing', MonitoringLevel.CRITICAL]]);

    const t = c.check(errors(0.12));
    assert.equal(t.length, 1);
    assert.equal(t[0]!.kind, 'de-escalated');
    assert.equal(t[0]!.previousLevel, MonitoringLevel.CRITICAL);
    assert.equal(t[0]!.alert.level, MonitoringLevel.ERROR);
    assert.equal(t[0]!.alert.state, 'firing');
    assert.equal(t[0]!.alert.threshold, 0.1);
    assert.equal(t[0]!.alert.value, 0.12);
    assert.equal(t[0]!.alert.startsAt, fired[0]!.alert.startsAt, 'the same incident');
    assert.equal(t[0]!.alert.fingerprint, fired[0]!.alert.fingerprint);
    assert.equal(t[0]!.alert.message, 'checkout: error rate 12% ≥ 10% (was CRITICAL)');
    assert.deepEqual(engine.firing('checkout').map((a) => a.level), [MonitoringLevel.ERROR]);

    assert.deepEqual(c.check(errors(0.12)), [], 'holding ERROR: no transition');
    const [r, ...rest] = c.check(errors(0.01));
    assert.equal(rest.length, 0);
    assert.equal(r?.kind, 'resolved');
    assert.equal(r!.alert.level, MonitoringLevel.ERROR, 'resolves at the level that was last announced');
    assert.equal(r!.alert.message, 'checkout: error rate 1% < 4%, resolved after 45s');
  });

  it('a drop held by hysteresis below the new level\'s threshold says so', () => {
    const engine = new RuleEngine(parseConfig({ serviceName: 'checkout' }));
    const c = checks(engine);
    c.check(errors(0.3));
    const t = c.check(errors(0.09)); // < 20 % (CRITICAL's bound), < 10 %, ≥ 8 % (ERROR's bound)
    assert.deepEqual(t.map((x) => [x.kind, x.alert.level, x.previousLevel, x.alert.threshold]), [
      ['de-escalated', MonitoringLevel.ERROR, MonitoringLevel.CRITICAL, 0.1],
    ]);
    assert.equal(t[0]!.alert.message, 'checkout: error rate 9% < 10%, ERROR held while ≥ 8% (was CRITICAL)');
    // Two levels at once: one transition from the level last announced.
    const d = c.check(errors(0.045));
    assert.deepEqual(d.map((x) => [x.kind, x.alert.level, x.previousLevel]), [
      ['de-escalated', MonitoringLevel.WARNING, MonitoringLevel.ERROR],
    ]);
    assert.equal(d[0]!.alert.message, 'checkout: error rate 4.5% < 5%, WARNING held while ≥ 4% (was ERROR)');
  });
});

describe('RuleEngine snapshot and restore (a restart on the persisted store)', () => {
  const config = parseConfig({ checkInterval: 15, responseTimeThreshold: false });
  /** One check of `engine` at wall `now` (mono = now − START): the transitions. */
  const judge = (engine: RuleEngine, now: number, rate: number, mono = now - START) =>
    engine.evaluate(window(now, errors(rate)), now, mono).map((t) => `${t.kind}:${t.alert.level}`);

  it('a firing alert survives a JSON round trip: no second firing, one resolved when it clears, the duration spans the downtime', () => {
    const before = new RuleEngine(config);
    assert.deepEqual(judge(before, START + 15_000, 0.2), ['firing:ERROR']);
    assert.deepEqual(judge(before, START + 30_000, 0.2), []);
    const snapshot = JSON.parse(JSON.stringify(before.snapshot(START + 30_000, 30_000)));

    // The new process: its monotonic clock starts near 0; it was down 60 s of wall time.
    const after = new RuleEngine(config);
    const restartedAt = START + 90_000;
    const taken = after.restore(snapshot, restartedAt, 5);
    assert.deepEqual(taken.map((a) => [a.rule, a.level, a.state]), [['error_rate', MonitoringLevel.ERROR, 'firing']]);
    assert.deepEqual(after.firing().map((a) => a.rule), ['error_rate']);
    assert.deepEqual(after.evaluate(window(restartedAt + 15_000, errors(0.2)), restartedAt + 15_000, 15_005), [], 'still firing: nothing to send');
    const resolved = after.evaluate(window(restartedAt + 30_000, errors(0)), restartedAt + 30_000, 30_005);
    assert.deepEqual(resolved.map((t) => t.kind), ['resolved']);
    // Fired at START + 15 s, resolved at START + 120 s: 105 s, the 60 s down included.
    assert.match(resolved[0]!.alert.message, /resolved after 1m45s$/);
    assert.equal(resolved[0]!.alert.startsAt, START + 15_000);
  });

  it('a long downtime: a firing alert with no data since resolves as stale at the first check without a value', () => {
    const before = new RuleEngine(config);
    judge(before, START + 15_000, 0.2);
    const snapshot = before.snapshot(START + 15_000, 15_000);
    const after = new RuleEngine(config);
    after.restore(snapshot, START + 3_600_000, 0);
    const t = after.evaluate(window(START + 3_615_000, { requestCount: 0, errorCount: 0, errorRate: 0 }), START + 3_615_000, 15_000);
    assert.deepEqual(t.map((x) => x.kind), ['resolved']);
    assert.match(t[0]!.alert.message, /no data for/);
  });

  it('pending levels are not kept; an alert of a rule no longer configured is dropped; a wall clock gone back counts no downtime', () => {
    const before = new RuleEngine(parseConfig({ checkInterval: 15, responseTimeThreshold: false, errorThreshold: { error: 0.1, for: 60 } }));
    judge(before, START + 15_000, 0.2); // pending: for 60 s
    assert.deepEqual(before.snapshot(START + 15_000, 15_000).firing, []);

    const firing = new RuleEngine(config);
    judge(firing, START + 15_000, 0.2);
    const snapshot = firing.snapshot(START + 15_000, 15_000);
    assert.deepEqual(new RuleEngine(parseConfig({ errorThreshold: false })).restore(snapshot, START + 20_000, 0), []);
    const back = new RuleEngine(config);
    assert.equal(back.restore(snapshot, START - 3_600_000, 0).length, 1);
    assert.deepEqual(back.restore({ version: 2 } as never, START, 0), [], 'an unknown version is ignored');
  });
});
