/**
 * Unit tests of each alert pipeline stage (src/alerts/), on a ManualScheduler: no real timers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActiveAlerts } from '../../src/alerts/active.js';
import { ManualScheduler } from '../../src/alerts/clock.js';
import { CorrelateStage, probableCause } from '../../src/alerts/correlate.js';
import { DedupStage } from '../../src/alerts/dedup.js';
import { FlapDetector } from '../../src/alerts/flap.js';
import { GroupStage } from '../../src/alerts/group.js';
import { DEFAULT_INHIBIT_RULES, InhibitStage } from '../../src/alerts/inhibit.js';
import { AlertPipeline } from '../../src/alerts/pipeline.js';
import { parseAlertsConfig } from '../../src/config/index.js';
import { RouteStage } from '../../src/alerts/route.js';
import { SilenceStage, Silences } from '../../src/alerts/silence.js';
import { fanOut, notificationOf, sequence, type Notification, type NotifiedTransition, type Sink, type Stage } from '../../src/alerts/stage.js';
import { ConfigError } from '../../src/model/errors.js';
import { MonitoringLevel, type Alert, type AlertTransition } from '../../src/model/types.js';
import { recordingLogger, T0, tr } from '../helpers/alerts.js';

const sec = (s: number): number => T0 + s * 1000;
const n = (transitions: AlertTransition[], at = transitions[0]!.at): Notification =>
  notificationOf(transitions[0]!.alert.serviceId, transitions.map((transition) => ({ transition })), at);
const ctx = (now: number, active = new ActiveAlerts()) => ({ now, monotonic: now, active });
/** What dedup's tick makes at `now` with `firing` firing (both clocks at `now`). */
const due = (dedup: DedupStage, now: number, firing: Alert[] = []): NotifiedTransition[] => {
  const active = new ActiveAlerts();
  for (const alert of firing) active.observe({ kind: 'firing', alert, at: alert.startsAt });
  return dedup.tick(ctx(now, active)).flatMap((x) => x.alerts);
};
const activeOf = (...transitions: AlertTransition[]): ActiveAlerts => {
  const active = new ActiveAlerts();
  for (const t of transitions) active.observe(t);
  return active;
};
const kinds = (out: Notification[]): string[] => out.flatMap((x) => x.alerts.map((a) => `${a.transition.alert.rule}:${a.repeat === true ? 'repeat' : a.transition.kind}`));

describe('sequence and fanOut', () => {
  it('sequence passes each stage’s outputs on and stops at an empty result', () => {
    const seen: string[] = [];
    const tag = (name: string, drop = false): Stage => ({ name, run: (x) => (seen.push(name), drop ? [] : [x]) });
    const t = tr('firing', T0);
    assert.equal(sequence(tag('a'), tag('b')).run(n([t]), ctx(T0)).length, 1);
    assert.deepEqual(seen, ['a', 'b']);
    assert.deepEqual(sequence(tag('c', true), tag('d')).run(n([t]), ctx(T0)), []);
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });

  it('fanOut isolates a sink that throws, rejects or hangs', async () => {
    const errors: string[] = [];
    const got: string[] = [];
    const sink = (name: string, send: Sink['send']): Sink => ({ name, send, stats: () => ({ sent: 0, failed: 0, dropped: 0, queued: 0 }) });
    const send = fanOut(
      [
        sink('throws', () => {
          throw new Error('boom');
        }),
        sink('rejects', () => Promise.reject(new Error('no'))),
        sink('hangs', () => new Promise<void>(() => undefined)),
        sink('ok', () => void got.push('ok')),
      ],
      (s) => errors.push(s.name),
    );
    send(n([tr('firing', T0)]));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, ['ok']);
    assert.deepEqual(errors.sort(), ['rejects', 'throws']);
  });
});

describe('dedup: nothing silent, flap detection, repeatInterval', () => {
  const dedupOf = (flapThreshold = 5, cooldown = 300) => {
    const dedup = new DedupStage({ cooldown, flapThreshold, repeatInterval: 0 });
    const run = (t: AlertTransition) => kinds(dedup.run(n([t]), ctx(t.at)));
    return { dedup, run };
  };

  it('a new incident after a delivered resolve is delivered, however soon; so is its resolve', () => {
    const { dedup, run } = dedupOf();
    assert.deepEqual(run(tr('firing', sec(0))), ['error_rate:firing']);
    assert.deepEqual(run(tr('resolved', sec(10))), ['error_rate:resolved']);
    assert.deepEqual(run(tr('firing', sec(11))), ['error_rate:firing']); // 1 s after the resolve
    assert.deepEqual(run(tr('resolved', sec(20))), ['error_rate:resolved']);
    assert.equal(dedup.suppressed, 0);
  });

  it('level changes either way are delivered', () => {
    const { run } = dedupOf();
    assert.deepEqual(run(tr('firing', sec(0), { level: MonitoringLevel.ERROR })), ['error_rate:firing']);
    assert.deepEqual(run(tr('escalated', sec(15), { level: MonitoringLevel.CRITICAL })), ['error_rate:escalated']);
    assert.deepEqual(run(tr('de-escalated', sec(30), { level: MonitoringLevel.ERROR })), ['error_rate:de-escalated']);
    assert.deepEqual(run(tr('resolved', sec(45))), ['error_rate:resolved']);
  });

  it('flapping: the 5th change within the window is one flapping notification, later changes fold, and once quiet the true state is delivered', () => {
    const { dedup, run } = dedupOf(5, 300);
    const out: string[] = [];
    // 8 bursts in 16 s: fire at 0, 2, 4, … and resolve a second later.
    for (let i = 0; i < 8; i++) {
      out.push(...run(tr('firing', sec(2 * i))));
      out.push(...run(tr('resolved', sec(2 * i + 1))));
    }
    assert.deepEqual(out, ['error_rate:firing', 'error_rate:resolved', 'error_rate:firing', 'error_rate:resolved', 'error_rate:flapping']);
    assert.equal(dedup.suppressed, 11);
    // Not quiet for a whole window yet: nothing.
    assert.deepEqual(due(dedup, sec(300), []), []);
    // Quiet for 300 s after the last change (15 s): the true state, resolved, is delivered once.
    const settled = due(dedup, sec(315), []);
    assert.deepEqual(settled.map((e) => e.transition.kind), ['resolved']);
    assert.deepEqual(due(dedup, sec(400), []), []);
    // Afterwards a new incident is an ordinary one again.
    assert.deepEqual(run(tr('firing', sec(500))), ['error_rate:firing']);
  });

  it('the flapping notification says how often and the state it is in', () => {
    const { dedup } = dedupOf(5, 300);
    const steps = [tr('firing', sec(0)), tr('resolved', sec(5)), tr('firing', sec(26)), tr('resolved', sec(30)), tr('firing', sec(46))];
    const out = steps.flatMap((t) => dedup.run(n([t]), ctx(t.at)));
    const flapping = out.at(-1)!.alerts[0]!.transition;
    assert.equal(flapping.kind, 'flapping');
    assert.deepEqual(flapping.flapping, { changes: 5, windowSeconds: 46 });
    assert.equal(flapping.alert.state, 'firing');
    assert.match(flapping.alert.message, /flapping, 5 changes in 46s; now firing at ERROR/);
  });

  it('while flapping, a rise above every level delivered goes through; settling on the state the sinks have sends nothing more', () => {
    const { dedup, run } = dedupOf(3, 60);
    run(tr('firing', sec(0)));
    run(tr('resolved', sec(1)));
    assert.deepEqual(run(tr('firing', sec(2))), ['error_rate:flapping']); // now firing at ERROR
    assert.deepEqual(run(tr('escalated', sec(3), { level: MonitoringLevel.CRITICAL })), ['error_rate:escalated']);
    assert.deepEqual(run(tr('de-escalated', sec(4), { level: MonitoringLevel.ERROR })), []);
    assert.deepEqual(run(tr('escalated', sec(5), { level: MonitoringLevel.CRITICAL })), []); // CRITICAL was delivered
    // Settles firing at CRITICAL: the sinks already have that.
    const fired = tr('escalated', sec(5), { level: MonitoringLevel.CRITICAL }).alert;
    assert.deepEqual(due(dedup, sec(70), [fired]), []);
  });

  it('settling firing at another level than delivered sends a firing with the current alert', () => {
    const { dedup, run } = dedupOf(3, 60);
    run(tr('firing', sec(0), { level: MonitoringLevel.CRITICAL }));
    run(tr('resolved', sec(1)));
    run(tr('firing', sec(2), { level: MonitoringLevel.CRITICAL })); // flapping, firing at CRITICAL
    run(tr('de-escalated', sec(3), { level: MonitoringLevel.WARNING }));
    const current = tr('de-escalated', sec(3), { level: MonitoringLevel.WARNING }).alert;
    const settled = due(dedup, sec(63), [current]);
    assert.deepEqual(settled.map((e) => `${e.transition.kind}:${e.transition.alert.level}`), ['firing:WARNING']);
  });

  it('flapThreshold 0 delivers every change', () => {
    const { dedup, run } = dedupOf(0, 300);
    const out: string[] = [];
    for (let i = 0; i < 8; i++) out.push(...run(tr('firing', sec(2 * i))), ...run(tr('resolved', sec(2 * i + 1))));
    assert.equal(out.length, 16);
    assert.equal(dedup.suppressed, 0);
  });

  it('changes spread wider than the window never flap', () => {
    const { run } = dedupOf(5, 300);
    const out: string[] = [];
    for (let i = 0; i < 10; i++) out.push(...run(tr(i % 2 === 0 ? 'firing' : 'resolved', sec(i * 100))));
    assert.ok(!out.includes('error_rate:flapping'), out.join(' '));
    assert.equal(out.length, 10);
  });

  it('memory stays bounded: prune forgets alerts quiet for a window, keeps a flapping one', () => {
    const flaps = new FlapDetector({ threshold: 3, window: 60 });
    for (let i = 0; i < 1000; i++) flaps.observe(tr('firing', sec(i), { service: `svc-${i}` }), sec(i));
    const verdicts = (
      [['resolved', 1000], ['firing', 1001], ['resolved', 1002]] as const
    ).map(([kind, at]) => flaps.observe(tr(kind, sec(at), { service: 'svc-999' }), sec(at)).kind);
    assert.deepEqual(verdicts, ['pass', 'flapping', 'fold']);
    assert.equal(flaps.flapping, 1);
    assert.equal(flaps.size, 1000);
    flaps.prune(sec(1030));
    assert.equal(flaps.size, 29, 'only svc-971…998, which changed less than 60 s ago, and the flapping svc-999');
    flaps.prune(sec(5000));
    assert.equal(flaps.size, 1, 'the flapping one stays until it settles');
    assert.equal(flaps.settle(sec(5000)).length, 1);
    flaps.prune(sec(5000));
    assert.equal(flaps.size, 0);
  });

  it('re-sends a still-firing alert after repeatInterval, not every check', () => {
    const dedup = new DedupStage({ cooldown: 300, flapThreshold: 5, repeatInterval: 3600 });
    const fired = tr('firing', sec(0));
    dedup.run(n([fired]), ctx(sec(0)));
    const firing = [fired.alert];
    const repeats: number[] = [];
    for (let s = 15; s <= 3 * 3600; s += 15) if (due(dedup, sec(s), firing).length > 0) repeats.push(s);
    assert.deepEqual(repeats, [3600, 7200, 10800]);
    // A resolve ends the repeats.
    dedup.run(n([tr('resolved', sec(10900))]), ctx(sec(10900)));
    assert.deepEqual(due(dedup, sec(20000), firing), []);
  });

  it('repeatInterval 0 never repeats', () => {
    const dedup = new DedupStage({ cooldown: 0, flapThreshold: 5, repeatInterval: 0 });
    const fired = tr('firing', sec(0));
    dedup.run(n([fired]), ctx(sec(0)));
    assert.deepEqual(due(dedup, sec(1e6), [fired.alert]), []);
  });
});

describe('group: groupWait and groupInterval on a fake clock', () => {
  function rig(groupWait: number, groupInterval: number, maxAlerts = 1000) {
    const clock = new ManualScheduler(T0);
    const out: Notification[] = [];
    const group = new GroupStage({ groupWait, groupInterval, maxAlerts }, clock, (x) => out.push(x));
    const at = () => ({ now: clock.now(), monotonic: clock.monotonic(), active: new ActiveAlerts() });
    const push = (t: AlertTransition) => group.run(n([t], clock.now()), at());
    return { clock, out, group, push, at };
  }

  it('transitions of one service within groupWait go out as one notification listing them all', () => {
    const { clock, out, push } = rig(30, 300);
    push(tr('firing', clock.now(), { rule: 'error_rate' }));
    clock.advance(10_000);
    push(tr('firing', clock.now(), { rule: 'response_time' }));
    push(tr('firing', clock.now(), { rule: 'cpu', service: 'billing' }));
    clock.advance(19_999);
    assert.equal(out.length, 0);
    clock.advance(1);
    assert.deepEqual(out.map((x) => [x.service, x.alerts.length, x.at - T0]), [['checkout', 2, 30_000]]);
    clock.advance(10_000);
    assert.deepEqual(out.map((x) => x.service), ['checkout', 'billing']);
  });

  it('later changes wait until groupInterval after the previous notification', () => {
    const { clock, out, push } = rig(30, 300);
    push(tr('firing', clock.now()));
    clock.advance(30_000); // first notification at 30 s
    clock.advance(5_000);
    push(tr('resolved', clock.now()));
    clock.advance(200_000);
    push(tr('firing', clock.now(), { rule: 'cpu' }));
    clock.advance(94_999);
    assert.equal(out.length, 1);
    clock.advance(1); // 330 s = 30 + 300
    assert.equal(out.length, 2);
    assert.deepEqual(kinds([out[1]!]), ['error_rate:resolved', 'cpu:firing']);
  });

  it('groupWait 0 and groupInterval 0 (the defaults) send each push at once', () => {
    const { clock, out, push } = rig(0, 0);
    push(tr('firing', clock.now()));
    push(tr('resolved', clock.now()));
    assert.equal(out.length, 2);
    assert.equal(clock.pendingTimers, 0);
  });

  it('bounds the alerts listed and counts the rest; idle groups leave memory', () => {
    const { clock, out, group, push, at } = rig(10, 60, 5);
    for (let i = 0; i < 12; i++) push(tr('firing', clock.now(), { rule: `check:c${i}` }));
    clock.advance(10_000);
    assert.deepEqual([out[0]!.alerts.length, out[0]!.omitted], [5, 7]);
    clock.advance(60_000);
    group.prune(at());
    assert.deepEqual(group.stats(), { groups: 0, pending: 0 });
  });
});

describe('correlate: one incident per service, with a probable cause', () => {
  const firing = (rule: string, at = T0) => tr('firing', at, { rule: rule as never }).alert;
  it('names the documented causes', () => {
    assert.deepEqual(probableCause([firing('response_time'), firing('cpu')]), { cause: 'CPU saturation', correlation: 'cpu_saturation' });
    assert.deepEqual(probableCause([firing('response_time'), firing('event_loop_delay')]).cause, 'CPU saturation');
    assert.deepEqual(probableCause([firing('error_rate'), firing('check:db')]), { cause: 'dependency db failing', correlation: 'dependency' });
    assert.equal(probableCause([firing('response_time'), firing('memory')]).cause, 'memory pressure');
    assert.equal(probableCause([firing('error_rate'), firing('connections')]).cause, 'connection saturation');
    assert.deepEqual(probableCause([firing('memory', T0 + 5), firing('cpu', T0)]), { cause: 'cpu', correlation: 'none' });
  });

  it('keeps one incident id while anything fires on the service, a new one after', () => {
    const stage = new CorrelateStage();
    const a = tr('firing', sec(0), { rule: 'response_time' });
    const b = tr('firing', sec(15), { rule: 'cpu' });
    const first = stage.run(n([a]), ctx(sec(0), activeOf(a)))[0]!;
    const second = stage.run(n([b]), ctx(sec(15), activeOf(a, b)))[0]!;
    assert.equal(first.incident!.id, second.incident!.id);
    assert.equal(second.incident!.cause, 'CPU saturation');
    assert.equal(second.alerts[0]!.incident!.id, first.incident!.id);
    const ra = tr('resolved', sec(60), { rule: 'response_time' });
    const rb = tr('resolved', sec(60), { rule: 'cpu' });
    const last = stage.run(n([ra, rb]), ctx(sec(60), activeOf(a, b, ra, rb)))[0]!;
    assert.equal(last.incident!.id, first.incident!.id);
    const again = tr('firing', sec(100), { rule: 'error_rate' });
    assert.notEqual(stage.run(n([again]), ctx(sec(100), activeOf(again)))[0]!.incident!.id, first.incident!.id);
  });
});

describe('inhibit: defaults', () => {
  const stage = new InhibitStage(DEFAULT_INHIBIT_RULES);
  it('a CRITICAL on a service suppresses its WARNINGs, not another service’s', () => {
    const critical = tr('firing', T0, { rule: 'cpu', level: MonitoringLevel.CRITICAL });
    const warning = tr('firing', T0, { rule: 'memory', level: MonitoringLevel.WARNING });
    const elsewhere = tr('firing', T0, { rule: 'memory', level: MonitoringLevel.WARNING, service: 'billing' });
    const active = activeOf(critical, warning, elsewhere);
    assert.deepEqual(kinds(stage.run(n([critical, warning]), ctx(T0, active))), ['cpu:firing']);
    assert.deepEqual(kinds(stage.run(n([elsewhere]), ctx(T0, active))), ['memory:firing']);
  });
  it('a failing dependency check suppresses error_rate and response_time, not cpu', () => {
    const check = tr('firing', T0, { rule: 'check:db' });
    const errors = tr('firing', T0, { rule: 'error_rate' });
    const latency = tr('firing', T0, { rule: 'response_time' });
    const cpu = tr('firing', T0, { rule: 'cpu' });
    assert.deepEqual(kinds(stage.run(n([check, errors, latency, cpu]), ctx(T0, activeOf(check, errors, latency, cpu)))), ['check:db:firing', 'cpu:firing']);
    // Without the check firing, they pass.
    assert.deepEqual(kinds(stage.run(n([errors]), ctx(T0, activeOf(errors)))), ['error_rate:firing']);
  });
});

describe('silences', () => {
  it('add, list, match until expiry, expire', () => {
    const clock = new ManualScheduler(T0);
    const silences = new Silences(() => clock.now());
    const stage = new SilenceStage(silences);
    const s = silences.add({ matchers: { service: 'checkout', rule: 'check:*' }, expiresAt: T0 + 60_000, comment: 'db maintenance' });
    assert.deepEqual(silences.list().map((x) => [x.id, x.comment]), [[s.id, 'db maintenance']]);
    const db = tr('firing', T0, { rule: 'check:db' });
    const errors = tr('firing', T0, { rule: 'error_rate' });
    assert.deepEqual(kinds(stage.run(n([db, errors]), ctx(clock.now()))), ['error_rate:firing']);
    clock.advance(60_000);
    assert.deepEqual(kinds(stage.run(n([db]), ctx(clock.now()))), ['check:db:firing']);
    assert.deepEqual(silences.list(), []);
    assert.equal(silences.list({ expired: true }).length, 1);
    const s2 = silences.add({ matchers: { level: 'WARNING' }, expiresAt: new Date(clock.now() + 1000) });
    assert.equal(silences.expire(s2.id), true);
    assert.equal(silences.expire(s2.id), false);
    assert.deepEqual(silences.list(), []);
  });
  it('a bad silence throws a ConfigError naming fields', () => {
    const silences = new Silences(() => T0);
    assert.throws(
      () => silences.add({ matchers: { level: 'LOUD' as never, colour: 'red' } as never, expiresAt: T0 - 1 }),
      (e: unknown) => e instanceof ConfigError && e.issues.map((i) => i.path).sort().join() === 'expiresAt,matchers,matchers.level',
    );
  });
});

describe('route', () => {
  const stage = new RouteStage(
    [
      { name: 'pager', match: { level: ['CRITICAL'] }, sinks: ['webhook'], continue: true },
      { name: 'db-team', match: { rule: 'check:db*' }, sinks: ['callback'], continue: false },
      { name: 'billing', match: { service: 'billing', attributes: { 'health.alert.state': 'firing' } }, sinks: ['console'], continue: false },
    ],
    ['otel-log'],
  );
  const routes = (t: AlertTransition) => stage.run(n([t])).map((x) => `${x.route}>${x.sinks.join('+')}`);
  it('first match wins unless continue; the default route takes the rest', () => {
    assert.deepEqual(routes(tr('firing', T0, { rule: 'check:db', level: MonitoringLevel.CRITICAL })), ['pager>webhook', 'db-team>callback']);
    assert.deepEqual(routes(tr('firing', T0, { rule: 'check:dbx' })), ['db-team>callback']);
    assert.deepEqual(routes(tr('firing', T0, { service: 'billing' })), ['billing>console']);
    assert.deepEqual(routes(tr('resolved', T0, { service: 'billing' })), ['default>otel-log']);
    // A route taken with continue and no later match: the default route does not add itself (Alertmanager's rule).
    assert.deepEqual(routes(tr('firing', T0, { level: MonitoringLevel.CRITICAL })), ['pager>webhook']);
  });
});

describe('pipeline config', () => {
  it('bad config is a ConfigError naming each field', () => {
    assert.throws(
      () =>
        parseAlertsConfig(
          {
            cooldown: 300,
            groupWait: -1,
            routes: [{ match: { level: 'LOUD' } }, { sink: 'nowhere' }],
            sinks: { hook: { type: 'webhook', url: 'http://example.com/x', headers: { Authorization: { env: 'NO_SUCH_VAR_X' } } } },
            colour: 1,
          },
          {},
        ),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.issues.map((i) => i.path).sort(), ['alerts', 'alerts.groupWait', 'alerts.routes.0.match.level']);
        return true;
      },
    );
    assert.throws(
      () =>
        parseAlertsConfig(
          { routes: [{ sink: 'nowhere' }, {}], sinks: { hook: { type: 'webhook', url: 'http://example.com/x', headers: { Authorization: { env: 'NO_SUCH_VAR_X' } } } } },
          { SECRET: 'x' },
        ),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.issues.map((i) => i.path).sort(), ['alerts.routes.0.sink', 'alerts.routes.1', 'alerts.sinks.hook.headers.Authorization', 'alerts.sinks.hook.url']);
        assert.match(e.message, /https/);
        return true;
      },
    );
  });

  it('defaults: otel-log on the default route, cooldown 300, repeat 4 h, no grouping delay, both inhibit rules', () => {
    const plan = parseAlertsConfig({}, {});
    assert.deepEqual(
      [plan.settings.cooldown, plan.settings.repeatInterval, plan.settings.groupWait, plan.settings.groupInterval, plan.defaultSinks, plan.inhibit.length],
      [300, 14_400, 0, 0, ['otel-log'], 2],
    );
  });

  it('end to end: grouped, correlated, inhibited, silenced, routed; incident on every record; resolves of unsent firings dropped', () => {
    const clock = new ManualScheduler(T0);
    const logger = recordingLogger();
    const calls: Notification[] = [];
    const pipeline = new AlertPipeline(
      parseAlertsConfig({ cooldown: 0, groupWait: 10, groupInterval: 60, routes: [{ match: { rule: 'cpu' }, sinks: ['cb', 'otel-log'] }], sinks: { cb: { type: 'callback', fn: (x: Notification) => void calls.push(x) } } }, {}),
      { logger, serviceName: 'checkout', scheduler: clock },
    );
    pipeline.silences.add({ matchers: { rule: 'memory' }, expiresAt: T0 + 3600_000 });
    pipeline.push([tr('firing', clock.now(), { rule: 'response_time' })]);
    clock.advance(5000);
    pipeline.push([tr('firing', clock.now(), { rule: 'cpu', level: MonitoringLevel.CRITICAL }), tr('firing', clock.now(), { rule: 'event_loop_delay', level: MonitoringLevel.WARNING }), tr('firing', clock.now(), { rule: 'memory' })]);
    assert.equal(logger.records.length, 0);
    clock.advance(5000);
    const rules = logger.records.map((r) => r.attributes!['health.alert.rule']);
    assert.deepEqual(rules, ['response_time', 'cpu']); // event_loop_delay WARNING inhibited by the CRITICAL, memory silenced
    assert.equal(new Set(logger.records.map((r) => r.attributes!['health.alert.incident'])).size, 1);
    assert.equal(logger.records[0]!.attributes!['health.alert.incident.cause'], 'CPU saturation');
    assert.deepEqual(calls.map((c) => [c.route, c.alerts.length]), [['route-0', 1]]);
    // Resolves: the silenced and inhibited alerts' resolves are not sent.
    clock.advance(20_000);
    pipeline.push(['response_time', 'cpu', 'event_loop_delay', 'memory'].map((rule) => tr('resolved', clock.now(), { rule: rule as never })));
    clock.advance(60_000);
    assert.deepEqual(logger.records.slice(2).map((r) => `${String(r.attributes!['health.alert.rule'])}:${String(r.attributes!['health.alert.state'])}`), ['response_time:resolved', 'cpu:resolved']);
    const stats = pipeline.stats();
    assert.deepEqual([stats.transitions, stats.inhibited, stats.silenced, stats.groups, stats.active], [8, 1, 2, 2, 0]);
  });

  it('the issue 11 trace at defaults: incidents after a delivered resolve are delivered, the flapping is told, and the sinks end on the true state', () => {
    const clock = new ManualScheduler(T0);
    const logger = recordingLogger();
    const pipeline = new AlertPipeline(parseAlertsConfig({}, {}), { logger, serviceName: 'checkout', scheduler: clock });
    // 1 s checks; bursts begin 0, 5, 26 and 46 s in and last 3 s.
    const changes = new Map<number, AlertTransition['kind']>([[0, 'firing'], [3, 'resolved'], [5, 'firing'], [8, 'resolved'], [26, 'firing'], [29, 'resolved'], [46, 'firing'], [49, 'resolved']]);
    let settledAt: number | undefined;
    for (let s = 0; s <= 400; s++) {
      const kind = changes.get(s);
      if (kind !== undefined) pipeline.push([tr(kind, clock.now())]);
      const before = logger.records.length;
      pipeline.tick();
      if (logger.records.length > before) settledAt = s;
      clock.advance(1000);
    }
    const delivered = logger.records.map((r) => `${String(r.attributes!['health.alert.transition'])}@${Math.round((Number(r.timestamp) - T0) / 1000)}`);
    assert.deepEqual(delivered, ['firing@0', 'resolved@3', 'firing@5', 'resolved@8', 'flapping@26', 'resolved@49']);
    // The last record is the true state (resolved at 49 s), sent once the alert had been quiet for the cooldown.
    assert.equal(settledAt, 349);
    const stats = pipeline.stats();
    assert.deepEqual([stats.transitions, stats.flapping, stats.deduplicated], [8, 1, 3]);
  });

  it('at shutdown, an alert still flapping leaves the sinks with its true state', async () => {
    const clock = new ManualScheduler(T0);
    const logger = recordingLogger();
    const pipeline = new AlertPipeline(parseAlertsConfig({ flapThreshold: 3 }, {}), { logger, serviceName: 'checkout', scheduler: clock });
    for (const kind of ['firing', 'resolved', 'firing', 'resolved'] as const) {
      pipeline.push([tr(kind, clock.now())]);
      clock.advance(1000);
    }
    assert.deepEqual(logger.records.map((r) => r.attributes!['health.alert.transition']), ['firing', 'resolved', 'flapping']);
    await pipeline.flush();
    assert.deepEqual(logger.records.map((r) => r.attributes!['health.alert.transition']), ['firing', 'resolved', 'flapping', 'resolved']);
  });

  it('a flapping notice of an alert now resolved whose firing was never delivered (inhibited) is not delivered', () => {
    const clock = new ManualScheduler(T0);
    const logger = recordingLogger();
    const pipeline = new AlertPipeline(parseAlertsConfig({ flapThreshold: 4 }, {}), { logger, serviceName: 'checkout', scheduler: clock });
    const step = (...ts: AlertTransition[]) => {
      pipeline.push(ts);
      clock.advance(1000);
    };
    const warning = { rule: 'error_rate' as const, level: MonitoringLevel.WARNING };
    step(tr('firing', clock.now(), { rule: 'cpu', level: MonitoringLevel.CRITICAL }), tr('firing', clock.now(), warning));
    step(tr('resolved', clock.now(), warning));
    step(tr('firing', clock.now(), warning));
    step(tr('resolved', clock.now(), { rule: 'cpu', level: MonitoringLevel.CRITICAL }));
    step(tr('resolved', clock.now(), warning)); // its 4th change: flapping, now resolved
    assert.deepEqual(
      logger.records.map((r) => `${String(r.attributes!['health.alert.rule'])}:${String(r.attributes!['health.alert.transition'])}`),
      ['cpu:firing', 'cpu:resolved'],
    );
    assert.equal(pipeline.stats().flapping, 1);
  });

  it('the console sink names a correlated incident and its probable cause on each line', () => {
    const clock = new ManualScheduler(T0);
    const lines: string[] = [];
    const pipeline = new AlertPipeline(parseAlertsConfig({ defaultRoute: { sinks: ['console'] } }, {}), { serviceName: 'checkout', scheduler: clock, write: (l) => lines.push(l) });
    pipeline.push([tr('firing', clock.now(), { rule: 'error_rate' })]);
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /incident/, 'one alert alone is no correlated incident');
    pipeline.push([tr('firing', clock.now(), { rule: 'cpu', level: MonitoringLevel.CRITICAL })]);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /\] CRITICAL firing checkout: cpu firing \(incident [0-9a-f]{16}: CPU saturation\)$/);
  });

  it('repeats a still-firing alert on tick after repeatInterval', () => {
    const clock = new ManualScheduler(T0);
    const logger = recordingLogger();
    const pipeline = new AlertPipeline(parseAlertsConfig({ repeatInterval: 600 }, {}), { logger, serviceName: 's', scheduler: clock });
    pipeline.push([tr('firing', clock.now())]);
    for (let i = 0; i < 80; i++) {
      clock.advance(15_000);
      pipeline.tick();
    }
    assert.deepEqual(logger.records.map((r) => r.attributes!['health.alert.repeat'] ?? false), [false, true, true]);
  });
});
