/**
 * An alert storm through the real HealthMonitor path (history first, then the pipeline), on a
 * fake clock: 10,000 transitions across 100 services in one minute (one check per second, each
 * with ~167 transitions). Every transition stays in the alert history; notifications are
 * bounded by grouping:
 *
 * - defaults (groupWait 0, groupInterval 0): at most one notification per service per check,
 *   ≤ 100 × 60 = 6,000; cooldown 300 s keeps one firing (and its resolve) per alert, plus
 *   escalations, in the log records.
 * - groupWait 10 s, groupInterval 60 s: at most one notification per service at +10 s and one
 *   more per groupInterval: ≤ 100 × (1 + ⌈(60 − 10) / 60⌉) = 200 for the minute.
 *
 * Figures are printed as test diagnostics: `node --import tsx --test test/unit/alert-storm.test.ts`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualScheduler } from '../../src/alerts/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { HealthMonitor } from '../../src/monitor/health-monitor.js';
import { HealthReader } from '../../src/evaluator/health-reader.js';
import { alertFingerprint } from '../../src/evaluator/rules.js';
import { MonitoringLevel, type Alert, type AlertTransition, type RuleName } from '../../src/model/types.js';
import { recordingLogger, T0 } from '../helpers/alerts.js';

const SERVICES = 100;
const TOTAL = 10_000;
const CHECKS = 60;
const RULES: RuleName[] = ['error_rate', 'response_time', 'cpu', 'memory', 'event_loop_delay', 'check:db'];
const LEVELS = [MonitoringLevel.WARNING, MonitoringLevel.ERROR, MonitoringLevel.CRITICAL];

/** Deterministic storm: per check, transitions of random (service, rule), each a valid next step. */
function storm(): AlertTransition[][] {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const firing = new Map<string, Alert>();
  const checks: AlertTransition[][] = [];
  let made = 0;
  for (let c = 0; c < CHECKS; c++) {
    const at = T0 + (c + 1) * 1000;
    const batch: AlertTransition[] = [];
    const quota = Math.round(((c + 1) * TOTAL) / CHECKS) - made;
    const used = new Set<string>();
    while (batch.length < quota) {
      const service = `svc-${Math.floor(random() * SERVICES)}`;
      const rule = RULES[Math.floor(random() * RULES.length)]!;
      const fingerprint = alertFingerprint(service, rule);
      if (used.has(fingerprint)) continue; // one transition per alert per check, as the rule engine does
      used.add(fingerprint);
      const current = firing.get(fingerprint);
      const base = { rule, value: 1, threshold: 0.5, serviceId: service, fingerprint, message: `${service}: ${rule}` };
      if (current === undefined) {
        const alert: Alert = { ...base, level: LEVELS[Math.floor(random() * 2)]!, state: 'firing', startsAt: at };
        firing.set(fingerprint, alert);
        batch.push({ kind: 'firing', alert, at });
      } else if (current.level !== MonitoringLevel.CRITICAL && random() < 0.3) {
        const alert: Alert = { ...current, level: LEVELS[LEVELS.indexOf(current.level) + 1]! };
        firing.set(fingerprint, alert);
        batch.push({ kind: 'escalated', alert, at, previousLevel: current.level });
      } else {
        firing.delete(fingerprint);
        batch.push({ kind: 'resolved', alert: { ...current, state: 'resolved', endsAt: at }, at });
      }
    }
    made += batch.length;
    checks.push(batch);
  }
  return checks;
}

function run(alerts: Record<string, unknown>) {
  const clock = new ManualScheduler(T0);
  const logger = recordingLogger();
  const monitor = new HealthMonitor({
    config: parseConfig({ serviceName: 'storm', alerts }),
    reader: new HealthReader(),
    logger,
    now: () => clock.now(),
    alertScheduler: clock,
  });
  let events = 0;
  monitor.on('alert', () => events++);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  for (const batch of storm()) {
    clock.set(batch[0]!.at);
    // What check() does with a check's transitions.
    (monitor as unknown as { handleTransitions(t: AlertTransition[]): void }).handleTransitions(batch);
  }
  clock.advance(120_000); // let the last groups go out
  monitor['alerting'].tick();
  const ms = performance.now() - started;
  const heapDelta = process.memoryUsage().heapUsed - heapBefore;
  return { monitor, logger, events, ms, heapDelta, stats: monitor.alerting.stats() };
}

describe('alert storm: 10,000 transitions across 100 services in one minute', () => {
  it('defaults: ≤ 1 notification per service per check; history keeps all 10,000', (t) => {
    const { monitor, logger, stats, ms, heapDelta } = run({});
    assert.equal(stats.transitions, TOTAL);
    assert.equal(monitor.alertHistory().length, TOTAL);
    assert.ok(stats.notifications <= SERVICES * CHECKS, `${stats.notifications} notifications`);
    assert.deepEqual(stats.pending, { groups: 0, pending: 0 });
    t.diagnostic(
      `defaults: ${stats.transitions} transitions → ${stats.notifications} notifications (bound ${SERVICES * CHECKS}), ${logger.records.length} log records; ` +
        `deduplicated ${stats.deduplicated}, inhibited ${stats.inhibited}; ${ms.toFixed(0)} ms, heap +${(heapDelta / 1e6).toFixed(1)} MB (incl. history)`,
    );
  });

  it('groupWait 10 s, groupInterval 60 s: ≤ 200 notifications; history keeps all 10,000', (t) => {
    const { monitor, logger, stats, ms, heapDelta } = run({ groupWait: 10, groupInterval: 60 });
    assert.equal(monitor.alertHistory().length, TOTAL);
    const bound = SERVICES * (1 + Math.ceil((60 - 10) / 60));
    assert.ok(stats.notifications <= bound, `${stats.notifications} > ${bound}`);
    assert.ok(stats.notifications >= SERVICES, 'every service notified');
    assert.deepEqual(stats.pending, { groups: 0, pending: 0 });
    t.diagnostic(
      `groupWait 10/groupInterval 60: ${stats.transitions} transitions → ${stats.notifications} notifications (bound ${bound}), ${logger.records.length} log records; ` +
        `deduplicated ${stats.deduplicated}, inhibited ${stats.inhibited}; ${ms.toFixed(0)} ms, heap +${(heapDelta / 1e6).toFixed(1)} MB (incl. history)`,
    );
  });
});
