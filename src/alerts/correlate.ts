/**
 * Correlation: the alerts firing together on one service are one incident, with a probable
 * cause from these rules, tried in order (symptom = an alert of the listed rules; the cause must
 * fire on the same service at the same time):
 *
 * | rule name          | symptoms                                   | cause firing                 | probable cause            |
 * |--------------------|--------------------------------------------|------------------------------|---------------------------|
 * | `dependency`       | error_rate or response_time                | a custom check `check:<name>`| `dependency <name> failing` |
 * | `cpu_saturation`   | response_time or error_rate                | cpu or event_loop_delay      | `CPU saturation`          |
 * | `memory_pressure`  | response_time, error_rate or event_loop_delay | memory                    | `memory pressure`         |
 * | `connection_saturation` | response_time or error_rate           | connections                  | `connection saturation`   |
 *
 * With no rule matching, the cause is the earliest firing alert's rule (`none` as correlation).
 * The incident opens with the service's first firing alert and closes when none fires; its id
 * (16 hex) stays the same meanwhile and travels as `health.alert.incident` on every record.
 */
import { createHash } from 'node:crypto';
import type { Alert, RuleName } from '../model/index.js';
import type { Incident, Notification, Stage, StageContext } from './stage.js';

interface CorrelationRule {
  name: string;
  symptoms: (rule: RuleName) => boolean;
  cause: (rule: RuleName) => boolean;
  describe: (cause: Alert) => string;
}

const is = (...rules: string[]) => (rule: RuleName) => rules.includes(rule);

export const CORRELATION_RULES: readonly CorrelationRule[] = [
  {
    name: 'dependency',
    symptoms: is('error_rate', 'response_time'),
    cause: (rule) => rule.startsWith('check:'),
    describe: (cause) => `dependency ${cause.rule.slice('check:'.length)} failing`,
  },
  { name: 'cpu_saturation', symptoms: is('response_time', 'error_rate'), cause: is('cpu', 'event_loop_delay'), describe: () => 'CPU saturation' },
  { name: 'memory_pressure', symptoms: is('response_time', 'error_rate', 'event_loop_delay'), cause: is('memory'), describe: () => 'memory pressure' },
  { name: 'connection_saturation', symptoms: is('response_time', 'error_rate'), cause: is('connections'), describe: () => 'connection saturation' },
];

/** The probable cause of alerts firing together on one service (pure). */
export function probableCause(firing: readonly Alert[]): { cause: string; correlation: string } {
  const byStart = [...firing].sort((a, b) => a.startsAt - b.startsAt || a.rule.localeCompare(b.rule));
  for (const rule of CORRELATION_RULES) {
    if (!byStart.some((a) => rule.symptoms(a.rule))) continue;
    const cause = byStart.find((a) => rule.cause(a.rule));
    if (cause !== undefined) return { cause: rule.describe(cause), correlation: rule.name };
  }
  return { cause: byStart[0]?.rule ?? 'unknown', correlation: 'none' };
}

export function incidentId(service: string, openedAt: number, seq: number): string {
  return createHash('sha256').update(`${service}\u0000${openedAt}\u0000${seq}`).digest('hex').slice(0, 16);
}

export class CorrelateStage implements Stage {
  readonly name = 'correlate';
  private readonly open = new Map<string, { id: string; openedAt: number }>();
  private seq = 0;

  run(notification: Notification, context: StageContext): Notification[] {
    const service = notification.service;
    const firing = context.active.of(service);
    // The alerts in the notification count too (a resolve ends them, yet they were part of it).
    const involved = new Map<string, Alert>();
    for (const entry of notification.alerts) involved.set(entry.transition.alert.fingerprint, entry.transition.alert);
    for (const alert of firing) involved.set(alert.fingerprint, alert);
    const alerts = [...involved.values()];
    let state = this.open.get(service);
    if (state === undefined) {
      const openedAt = Math.min(...alerts.map((a) => a.startsAt), context.now);
      state = { id: incidentId(service, openedAt, ++this.seq), openedAt };
      this.open.set(service, state);
    }
    if (firing.length === 0) this.open.delete(service);
    const { cause, correlation } = probableCause(firing.length > 0 ? firing : alerts);
    const incident: Incident = {
      id: state.id,
      service,
      cause,
      correlation,
      rules: [...new Set(alerts.map((a) => a.rule))],
      openedAt: state.openedAt,
    };
    return [{ ...notification, incident, alerts: notification.alerts.map((entry) => ({ ...entry, incident })) }];
  }

  /** Close incidents of services with nothing firing (their last notification was suppressed). */
  prune(context: StageContext): void {
    for (const service of this.open.keys()) if (context.active.of(service).length === 0) this.open.delete(service);
  }
}
