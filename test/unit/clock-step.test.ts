/**
 * Wall-clock steps of ±1 hour (issue 6, faults): NTP correcting a drifted clock, a VM resumed,
 * an operator's `date -s`. The wall clock jumps; the monotonic clock (performance.now, timers)
 * runs on. A HealthMonitor is driven on a ManualScheduler whose `step()` moves only the wall
 * clock: the rule engine, the alert pipeline and the history all see the same two clocks.
 *
 * What must hold whatever the step: durations (`for`, staleness, cooldown, repeatInterval,
 * groupWait/groupInterval, history retention) count monotonic time, so no alert is held back
 * for an hour by a backwards step, none fires early and no history window is lost by a forward
 * step; timestamps (alert startsAt/endsAt, transition and notification times, history rows)
 * follow the wall clock.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ManualScheduler } from '../../src/alerts/clock.js';
import type { Notification, Sink } from '../../src/alerts/stage.js';
import { parseConfig } from '../../src/config/index.js';
import { HealthMonitor } from '../../src/monitor/health-monitor.js';
import { HealthReader } from '../../src/evaluator/health-reader.js';
import { RuleEngine, buildRules } from '../../src/evaluator/rules.js';
import type { AlertTransition, DerivedHealthMetrics, HealthMetrics } from '../../src/model/types.js';
import { recordingLogger, T0 } from '../helpers/alerts.js';

const HOUR = 3_600_000;
const INTERVAL = 15;
const QUIET = { cpu: false, memory: false, connections: false, eventLoopDelay: false } as const;

const providers: MeterProvider[] = [];
after(async () => {
  await Promise.all(providers.map((p) => p.shutdown()));
});

/** A real HealthReader on a real MeterProvider (no runtime metrics: the windows judge only the check). */
function registeredReader(): HealthReader {
  const reader = new HealthReader({ runtimeMetrics: false });
  providers.push(new MeterProvider({ readers: [reader] }));
  return reader;
}

/** What the sink and the 'alert' listener saw, on the monotonic time line (seconds since T0). */
interface Seen {
  /** Monotonic seconds since the start. */
  t: number;
  what: string;
  /** The wall clock when it happened, and the timestamp it carries (must be equal). */
  wall: number;
  stamp: number;
}

/**
 * A monitor with one custom check `db` the script fails or passes, checks every 15 s driven by
 * `tick()`, alerts to a recording sink. `failing(k)` says whether check k (at k × 15 s) fails.
 */
function rig(options: { for: number; alerts: Record<string, unknown>; metricsRetention?: number }) {
  const clock = new ManualScheduler(T0);
  let failing = false;
  const notifications: Seen[] = [];
  const alerts: Seen[] = [];
  const mono = (): number => (clock.monotonic() - T0) / 1000;
  const sink: Sink = {
    name: 'rec',
    send: (n: Notification) => {
      for (const { transition, repeat } of n.alerts) {
        notifications.push({ t: mono(), what: repeat === true ? 'repeat' : transition.kind, wall: clock.now(), stamp: n.at });
      }
    },
    stats: () => ({ sent: notifications.length, failed: 0, dropped: 0, queued: 0 }),
  };
  const monitor = new HealthMonitor({
    config: parseConfig({
      serviceName: 'clock',
      checkInterval: INTERVAL,
      ...(options.metricsRetention !== undefined ? { metricsRetention: options.metricsRetention } : {}),
      errorThreshold: false,
      responseTimeThreshold: false,
      resourceThresholds: QUIET,
      checks: { db: { check: () => !failing, for: options.for } },
      alerts: { ...options.alerts, defaultRoute: { sinks: ['rec'] } },
    }, { sinks: ['rec'] }), // `rec` is given as an object (alertSinks)
    reader: registeredReader(),
    logger: recordingLogger(),
    now: () => clock.now(),
    monotonic: () => clock.monotonic(),
    alertScheduler: clock,
    alertSinks: { rec: sink },
  });
  monitor.on('alert', (_alert, transition: AlertTransition) => {
    alerts.push({ t: mono(), what: transition.kind, wall: clock.now(), stamp: transition.at });
  });
  let k = 0;
  return {
    clock,
    monitor,
    notifications,
    alerts,
    /** Advance one interval (running the pipeline's timers on the way), then check. */
    async tick(fail: boolean): Promise<HealthMetrics> {
      clock.advance(INTERVAL * 1000);
      k++;
      failing = fail;
      return monitor.monitorService();
    },
    get k() {
      return k;
    },
  };
}

/**
 * One fire → resolve cycle and more, with a `for`, a cooldown, a repeat and grouping:
 * check k (at 15·k s) fails for k in these ranges, passes otherwise.
 */
const FAILING: ReadonlyArray<readonly [number, number]> = [
  [1, 8], // fires at 45 s (for 30 s from the first failing check, at 15 s); resolves at 135 s
  [11, 24], // fires again at 195 s, a new incident (delivered; the cooldown is the flap window), repeated at 315 s; resolves at 375 s
  [33, 44], // fires at 525 s; resolves at 675 s
];
const TICKS = 46;
const CYCLE = { for: 30, alerts: { cooldown: 180, repeatInterval: 120, groupWait: 10, groupInterval: 60 } };

/** The cycle, with the wall clock stepped by `stepMs` right after check `stepAfter`. */
async function runCycle(stepAfter?: number, stepMs = 0) {
  const r = rig(CYCLE);
  for (let k = 1; k <= TICKS; k++) {
    await r.tick(FAILING.some(([from, to]) => k >= from && k <= to));
    if (k === stepAfter) r.clock.step(stepMs);
  }
  r.clock.advance(60_000); // let the last group go out
  return r;
}

const timeline = (seen: Seen[]): string[] => seen.map((s) => `${s.t}s ${s.what}`);

describe('a ±1 h wall-clock step anywhere in a fire → resolve cycle with for, cooldown, repeat and grouping', () => {
  it('baseline (no step): the timeline the configuration asks for', async () => {
    const r = await runCycle();
    // 'alert' events: what dedup admitted: every transition (three incidents, six changes, too
    // few within the 180 s cooldown to count as flapping).
    assert.deepEqual(timeline(r.alerts), ['45s firing', '135s resolved', '195s firing', '375s resolved', '525s firing', '675s resolved']);
    // Notifications: groupWait 10 s after a fresh group, groupInterval 60 s after the previous
    // notification otherwise; repeats every 120 s of a still-firing alert.
    assert.deepEqual(timeline(r.notifications), [
      '55s firing',
      '145s resolved',
      '205s firing', // the second incident, 10 s groupWait after its firing at 195 s
      '325s repeat',
      '385s resolved', // 375 s, held to 60 s after the repeat's notification
      '535s firing',
      '655s repeat',
      '715s resolved', // 675 s, held to 60 s after the repeat's notification
    ]);
  });

  for (const [label, stepMs] of [
    ['+1 h', HOUR],
    ['−1 h', -HOUR],
  ] as const) {
    it(`${label} after any check: the same notifications at the same monotonic times, stamped with the stepped wall clock`, async () => {
      const baseline = await runCycle();
      const expected = { alerts: timeline(baseline.alerts), notifications: timeline(baseline.notifications) };
      const differing: string[] = [];
      for (let stepAfter = 1; stepAfter <= TICKS; stepAfter++) {
        const r = await runCycle(stepAfter, stepMs);
        const got = { alerts: timeline(r.alerts), notifications: timeline(r.notifications) };
        if (JSON.stringify(got) !== JSON.stringify(expected)) differing.push(`step after check ${stepAfter}: ${JSON.stringify(got)}`);
        // Every timestamp is the wall clock of its moment, stepped or not.
        for (const s of [...r.alerts, ...r.notifications]) assert.equal(s.stamp, s.wall, `step after check ${stepAfter}: ${s.t}s ${s.what}`);
        const stepped = r.notifications.filter((s) => s.t > stepAfter * INTERVAL);
        for (const s of stepped) assert.equal(s.wall, T0 + s.t * 1000 + stepMs);
      }
      assert.deepEqual(differing, [], `expected ${JSON.stringify(expected)}`);
    });
  }
});

describe('±1 h steps: staleness, history retention, the check loop', () => {
  /** A window of `checkout` with `requests` requests, half of them failed. */
  function window(wall: number, requests: number): DerivedHealthMetrics {
    return {
      serviceId: 'checkout',
      timestamp: wall,
      windowSeconds: INTERVAL,
      requestCount: requests,
      operationCount: 0,
      requestRate: requests / INTERVAL,
      errorCount: requests / 2,
      errorRate: requests > 0 ? 0.5 : 0,
      responseTime: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      connections: 0,
      checks: [],
    };
  }

  for (const [label, stepMs] of [
    ['+1 h', HOUR],
    ['−1 h', -HOUR],
  ] as const) {
    it(`${label}: a firing alert without data resolves after staleAfter of monotonic time, and says how long it fired`, () => {
      const config = parseConfig({ checkInterval: INTERVAL, errorThreshold: 0.1, responseTimeThreshold: false, resourceThresholds: QUIET });
      const engine = new RuleEngine({ rules: buildRules(config), staleAfter: 60 });
      let offset = 0;
      const resolved: Array<{ t: number; at: number; wall: number; message: string }> = [];
      for (let k = 1; k <= 12; k++) {
        const mono = T0 + k * INTERVAL * 1000;
        // Errors in checks 1–2 (fires at 15 s), then no traffic: nothing to judge from 45 s on.
        for (const t of engine.evaluate(window(mono + offset, k <= 2 ? 100 : 0), mono + offset, mono)) {
          if (t.kind === 'resolved') resolved.push({ t: k * INTERVAL, at: t.at, wall: mono + offset, message: t.alert.message });
        }
        if (k === 3) offset += stepMs; // after the first check without data
      }
      // Last judged at 30 s: stale from 90 s on, whichever way the wall clock stepped.
      assert.deepEqual(
        resolved.map((r) => [r.t, r.message]),
        [[90, 'checkout: error rate: no data for 1m, resolved after 1m15s']],
      );
      assert.equal(resolved[0]!.at, resolved[0]!.wall, 'the resolve is stamped with the stepped wall clock');
    });

    it(`${label}: history keeps every row and alert transition within retention, stamped with the wall clock`, async () => {
      // Retention of one hour: a forward step of an hour used to evict every row and transition.
      const r = rig({ for: 0, alerts: { cooldown: 0 }, metricsRetention: 3600 });
      for (let k = 1; k <= 10; k++) await r.tick(k === 5);
      r.clock.step(stepMs);
      await r.tick(false);
      const rows = r.monitor.history();
      assert.equal(rows.length, 11, 'no row lost');
      assert.deepEqual(
        rows.map((row) => row.timestamp - T0),
        [...Array.from({ length: 10 }, (_, i) => (i + 1) * INTERVAL * 1000), 11 * INTERVAL * 1000 + stepMs],
        'row timestamps are the wall clock, stepped',
      );
      assert.ok(rows.every((row) => row.windowSeconds === INTERVAL), 'windows are monotonic: 15 s each');
      assert.deepEqual(
        r.monitor.alertHistory().map((e) => [e.kind, e.at - T0]),
        [
          ['firing', 5 * INTERVAL * 1000],
          ['resolved', 6 * INTERVAL * 1000],
        ],
        'alert transitions kept',
      );
      // Queries filter on the wall clock: the stepped row is found where its timestamp says.
      const stepped = rows.at(-1)!.timestamp;
      assert.equal(r.monitor.history(undefined, { since: stepped }).length, stepMs > 0 ? 1 : 11);
    });
  }

  it('a running check loop: no burst and no hour-long or negative window after steps of +1 h and −1 h', async () => {
    const interval = 0.05;
    let offset = 0;
    const monitor = new HealthMonitor({
      config: parseConfig({ serviceName: 'loop', checkInterval: interval, errorThreshold: false, responseTimeThreshold: false, resourceThresholds: QUIET }),
      reader: registeredReader(),
      logger: recordingLogger(),
      now: () => Date.now() + offset,
    });
    const seen: Array<{ at: number; metrics: HealthMetrics }> = [];
    // The monitor's timer is unref'd (it never holds a process): this ref'd deadline keeps the
    // test's event loop alive, and fails the test if the checks stop.
    let deadline: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        deadline = setTimeout(() => reject(new Error(`only ${seen.length} checks within 10 s`)), 10_000);
        monitor.on('check', (metrics: HealthMetrics) => {
          seen.push({ at: performance.now(), metrics });
          if (seen.length === 3) offset += HOUR;
          if (seen.length === 6) offset -= HOUR;
          if (seen.length === 9) resolve();
        });
        monitor.start();
      });
    } finally {
      clearTimeout(deadline);
      await monitor.shutdown();
    }
    const gaps = seen.slice(1).map((s, i) => (s.at - seen[i]!.at) / 1000);
    const windows = seen.map((s) => s.metrics.windowSeconds);
    const stamps = seen.slice(1).map((s, i) => (s.metrics.timestamp - seen[i]!.metrics.timestamp) / 1000);
    // setTimeout is monotonic: checks keep their interval whatever the wall clock does.
    assert.ok(gaps.every((g) => g >= interval * 0.9), `gaps between checks (s): ${gaps.join(', ')}`);
    assert.ok(windows.every((w) => w >= interval * 0.9 && w < 10), `windows (s): ${windows.join(', ')}`);
    // Timestamps follow the wall clock: about +1 h after the third check, −1 h after the sixth.
    assert.ok(stamps[2]! > 3500 && stamps[5]! < -3500, `timestamp steps (s): ${stamps.join(', ')}`);
  });
});
