import type { Alert, AlertTransition } from '../model/index.js';

/**
 * The alerts firing now, by service, as seen from every transition (including those the
 * pipeline does not notify): correlation and inhibition look at these. Each follows its latest
 * transition: an `escalated` or `de-escalated` one replaces it at its new level (in place: the
 * order stays the order they fired), a `resolved` one removes it. A `flapping` notification
 * carries the alert's state at the time: resolved removes it, firing keeps it at that level;
 * it is never taken for a new firing.
 */
export class ActiveAlerts {
  private readonly byService = new Map<string, Map<string, Alert>>();

  observe(transition: AlertTransition): void {
    const { alert } = transition;
    let alerts = this.byService.get(alert.serviceId);
    if (transition.kind === 'resolved' || alert.state === 'resolved') {
      alerts?.delete(alert.fingerprint);
      if (alerts?.size === 0) this.byService.delete(alert.serviceId);
      return;
    }
    if (alerts === undefined) this.byService.set(alert.serviceId, (alerts = new Map()));
    alerts.set(alert.fingerprint, alert);
  }

  /** Firing alerts of a service, in the order they fired. */
  of(service: string): Alert[] {
    const alerts = this.byService.get(service);
    return alerts === undefined ? [] : [...alerts.values()];
  }

  all(): Alert[] {
    const out: Alert[] = [];
    for (const alerts of this.byService.values()) out.push(...alerts.values());
    return out;
  }

  get size(): number {
    let n = 0;
    for (const alerts of this.byService.values()) n += alerts.size;
    return n;
  }
}
