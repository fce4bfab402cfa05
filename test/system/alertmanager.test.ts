/**
 * Issue 17, against the real engine: three replica processes of one service, each with an
 * `alertmanager` sink to one Alertmanager (Debian's prometheus-alertmanager on loopback, its own
 * config and storage, clustering off), whose webhook receiver is this test.
 *
 * 1. The three share a fault (every request answers 500): the receiver gets one firing
 *    notification for the incident, one alert in it (the replicas' alerts merged: no instance
 *    label), and one resolved notification when the fault ends.
 * 2. A silence created through Alertmanager's API silences the replicas' alert: Alertmanager has
 *    it, suppressed by that silence, and nobody is notified.
 * 3. Alertmanager restarted mid-incident (its alerts live in memory only) has the alert again
 *    from the replicas' re-sends, and the resolve reaches the receiver.
 *
 * Alertmanager's timings are short (group_wait 1s, group_interval 2s) and the sink re-sends every
 * 2 s, so the test takes tens of seconds; every wait is on an event (a replica's alert, the
 * receiver's request) except Alertmanager's own state, which is read through its API.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Child, installCleanup } from '../../support/children.js';
import { alertmanagerBinary, startAlertmanager, startWebhookReceiver, type RunningAlertmanager, type WebhookReceiver } from '../../support/alertmanager.js';

installCleanup();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPLICA = path.join(ROOT, 'support', 'alertmanager-replica.ts');
const REPLICAS = 3;

/** Absent binary: skip locally, fail in CI (where .ci/run installs it). */
const skip: string | false = alertmanagerBinary !== undefined ? false : 'prometheus-alertmanager not installed (apt-get install -y --no-install-recommends prometheus-alertmanager)';
if (skip && process.env.CI) assert.fail('Alertmanager is not installed; CI must install the Debian "prometheus-alertmanager" package');

/** Alertmanager's state has no push: read it through the API until `check` holds, bounded. */
async function poll<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(value)})`);
    await sleep(100);
  }
}

describe('alertmanager sink against Alertmanager', { skip }, () => {
  let am: RunningAlertmanager;
  let receiver: WebhookReceiver;
  const replicas: Child[] = [];

  /** Every replica's next `kind` transition of the error-rate alert (listen before causing it). */
  const transitions = (kind: string): Promise<unknown[]> =>
    Promise.all(
      replicas.map((r) =>
        r.waitFor((m) => {
          const msg = m as { type?: string; rule?: string; kind?: string };
          return msg.type === 'alert' && msg.rule === 'error_rate' && msg.kind === kind ? true : undefined;
        }, 30_000, `${r.name}: error_rate ${kind}`),
      ),
    );
  const fault = (on: boolean): void => replicas.forEach((r) => r.send({ type: 'fault', on }));
  const sinkStats = (r: Child) => {
    const answer = r.waitFor((m) => ((m as { type?: string }).type === 'stats' ? (m as { sinks: Record<string, { sent: number; firing: number }> }).sinks : undefined), 10_000, `${r.name} stats`);
    r.send({ type: 'stats' });
    return answer;
  };
  const checkoutAlerts = async () => (await am.alerts('service="checkout"')).filter((a) => a.labels.rule === 'error_rate');

  before(async () => {
    receiver = await startWebhookReceiver();
    am = await startAlertmanager(
      [
        'route:',
        '  receiver: hook',
        '  group_by: [service, rule]',
        '  group_wait: 1s',
        '  group_interval: 2s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: hook',
        '    webhook_configs:',
        `      - url: "${receiver.url}/hook"`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    for (let i = 0; i < REPLICAS; i++) {
      replicas.push(
        new Child(`replica-${i}`, REPLICA, [], {
          cwd: ROOT,
          env: {
            ...process.env,
            REPLICA_SERVICE: 'checkout',
            REPLICA_CHECK_INTERVAL: '0.25',
            REPLICA_AM_URLS: am.url,
            REPLICA_RESEND_DELAY: '2',
            REPLICA_SELF_TRAFFIC: '1',
            // One level (ERROR at 50 %), so one label set per incident; the other rules off; no
            // flap detection in process (the test's incidents follow each other within seconds).
            REPLICA_OPTIONS: JSON.stringify({
              errorThreshold: 0.5,
              responseTimeThreshold: false,
              resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
              alerts: { flapThreshold: 0 },
            }),
            OTEL_METRICS_EXPORTER: 'none',
            OTEL_LOGS_EXPORTER: 'none',
          },
        }),
      );
    }
    await Promise.all(
      replicas.map((r) =>
        r.waitFor(
          (m) => {
            const msg = m as { type?: string; error?: string };
            if (msg.type === 'error') throw new Error(msg.error);
            return msg.type === 'ready' ? true : undefined;
          },
          60_000,
          `${r.name} ready`,
        ),
      ),
    );
  });

  after(async () => {
    for (const r of replicas) r.send({ type: 'stop' });
    await Promise.all(replicas.map((r) => r.stop(5_000)));
    await am?.stop();
    await receiver?.close();
  });

  it('three replicas, one fault: one firing notification with one merged alert, then one resolved', async () => {
    const firing = transitions('firing');
    fault(true);
    await firing;
    const notified = await receiver.next((n) => n.status === 'firing');
    assert.equal(notified.alerts.length, 1, 'the replicas’ alerts are one alert in Alertmanager');
    assert.deepEqual(notified.alerts[0]!.labels, { alertname: 'OtelHealthErrorRate', service: 'checkout', rule: 'error_rate', severity: 'error' });
    assert.match(notified.alerts[0]!.annotations.summary!, /^checkout: error rate/);
    assert.deepEqual(notified.groupLabels, { service: 'checkout', rule: 'error_rate' });
    // Every replica told Alertmanager; Alertmanager holds one alert.
    for (const r of replicas) assert.ok((await sinkStats(r)).am!.sent >= 1, `${r.name} posted its alert`);
    assert.equal((await checkoutAlerts()).length, 1);

    const resolved = transitions('resolved');
    fault(false);
    await resolved;
    const end = await receiver.next((n) => n.status === 'resolved');
    assert.equal(end.alerts[0]!.status, 'resolved');
  });

  it('a silence created through Alertmanager’s API silences the replicas’ alert', async () => {
    const before = receiver.notifications.length;
    const silence = await am.silence({ service: 'checkout', rule: 'error_rate' }, 3600);
    const firing = transitions('firing');
    fault(true);
    await firing;
    const [suppressed] = await poll('the alert suppressed by the silence', checkoutAlerts, (alerts) => alerts.length === 1 && alerts[0]!.status.state === 'suppressed');
    assert.deepEqual(suppressed!.status.silencedBy, [silence]);
    const resolved = transitions('resolved');
    fault(false);
    await resolved;
    await poll('the alert resolved in Alertmanager', checkoutAlerts, (alerts) => alerts.length === 0);
    await am.expireSilence(silence);
    // Nothing was notified while silenced, and the first incident had exactly its two notifications.
    assert.equal(receiver.notifications.length, before);
    assert.deepEqual(
      receiver.notifications.map((n) => n.status),
      ['firing', 'resolved'],
    );
  });

  it('an Alertmanager restart mid-incident does not lose the alert: the replicas re-send it, and its resolve is notified', async () => {
    const from = receiver.notifications.length;
    const firing = transitions('firing');
    fault(true);
    await firing;
    await receiver.next((n) => n.status === 'firing', from);
    await am.restart();
    // Alertmanager keeps alerts in memory only: after the restart it has the alert only if re-sent.
    const [again] = await poll('the alert back in Alertmanager after its restart', checkoutAlerts, (alerts) => alerts.length === 1 && alerts[0]!.status.state === 'active');
    assert.equal(again!.labels.severity, 'error');
    const resolved = transitions('resolved');
    fault(false);
    await resolved;
    await receiver.next((n) => n.status === 'resolved', from);
    const statuses = receiver.notifications.slice(from).map((n) => n.status);
    // The notification log survives the restart (storage dir): the re-sent alert is not a new page.
    assert.deepEqual(statuses, ['firing', 'resolved'], `notifications of the incident: ${statuses.join(', ')}`);
  });
});
