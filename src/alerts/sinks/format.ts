import type { Notification } from '../stage.js';

/** The JSON a notification is sent as (webhook body, callback-friendly). Version 1. */
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
      ...transition.alert,
      startsAt: new Date(transition.alert.startsAt).toISOString(),
      endsAt: transition.alert.endsAt === undefined ? undefined : new Date(transition.alert.endsAt).toISOString(),
    })),
  };
}

/** One readable line per notification. */
export function notificationLine(n: Notification): string {
  const parts = n.alerts.map(({ transition, repeat }) => `${transition.alert.level} ${repeat === true ? 'repeat' : transition.kind} ${transition.alert.message}`);
  const incident = n.incident === undefined ? '' : ` incident ${n.incident.id} (${n.incident.cause})`;
  const omitted = n.omitted > 0 ? ` (+${n.omitted} more)` : '';
  return `${new Date(n.at).toISOString()} [otel-health] ${n.service}${incident}: ${parts.join('; ')}${omitted}`;
}
