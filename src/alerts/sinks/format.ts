import type { AlertTransition } from '../../model/index.js';
import type { Notification } from '../stage.js';

/**
 * The JSON a notification is sent as (webhook body, callback-friendly). Version 1; fields added
 * since are optional, so a version-1 reader keeps working:
 * - `previousLevel` on `escalated` and `de-escalated` alerts (the level before);
 * - `flapping: { changes, windowSeconds }` on a `flapping` alert, whose `state` and `level` are
 *   its state when the notification went out, and whose `message` (worded by the pipeline) says
 *   how often it changed (`checkout: error_rate flapping, 5 changes in 46s; now firing at ERROR: …`).
 */
export function notificationJson(n: Notification): Record<string, unknown> {
  return {
    version: 1,
    service: n.service,
    groupKey: n.groupKey,
    route: n.route,
    at: new Date(n.at).toISOString(),
    incident: n.incident === undefined ? undefined : { ...n.incident, openedAt: new Date(n.incident.openedAt).toISOString() },
    omitted: n.omitted,
    alerts: n.alerts.map(({ transition, repeat }) => ({
      transition: transition.kind,
      repeat: repeat === true,
      at: new Date(transition.at).toISOString(),
      previousLevel: transition.previousLevel,
      flapping: transition.flapping === undefined ? undefined : { changes: transition.flapping.changes, windowSeconds: transition.flapping.windowSeconds },
      ...transition.alert,
      startsAt: new Date(transition.alert.startsAt).toISOString(),
      endsAt: transition.alert.endsAt === undefined ? undefined : new Date(transition.alert.endsAt).toISOString(),
    })),
  };
}

/**
 * The console lines of a notification: one per alert, `<time> [otel-health] <LEVEL>
 * <transition> <message>`, e.g. `2025-01-01T00:00:00.000Z [otel-health] ERROR de-escalated
 * checkout: error rate 25% ≥ 10% (was CRITICAL)` (the rule engine's message names the service and
 * the level left), `WARNING resolved …` (the level that was firing), `ERROR flapping checkout:
 * error_rate flapping, 5 changes in 46s; now firing at ERROR: …` (worded by the pipeline),
 * `ERROR repeat …` (a re-send after repeatInterval). The time is the notification's. Transitions
 * beyond maxAlertsPerNotification get one line saying how many.
 */
export function consoleLines(n: Notification): string[] {
  const prefix = `${new Date(n.at).toISOString()} [otel-health]`;
  // Alerts that fire together on one service are one incident: say so, with the probable cause,
  // so a reader of the console sees the correlation the other sinks carry as attributes.
  const incident = n.incident !== undefined && n.incident.rules.length > 1 ? ` (incident ${n.incident.id}: ${n.incident.cause})` : '';
  const lines = n.alerts.map(({ transition, repeat }) => `${prefix} ${alertPart(transition, repeat)}${incident}`);
  if (n.omitted > 0) lines.push(`${prefix} ${n.service}: ${n.omitted} more transition(s) not listed (maxAlertsPerNotification)`);
  return lines;
}

function alertPart(transition: AlertTransition, repeat: boolean | undefined): string {
  return `${transition.alert.level} ${repeat === true ? 'repeat' : transition.kind} ${transition.alert.message}`;
}
