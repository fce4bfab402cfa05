/**
 * Routing: each alert of a notification goes to the first route whose matcher it matches (and
 * on to later ones while the matched route says `continue`); alerts no route took go to the
 * default route, which always exists (default: the `otel-log` sink). A notification is split
 * into one per route taken.
 */
import { matchesEntry, type AlertMatcher } from './matchers.js';
import type { Notification, NotifiedTransition, Stage } from './stage.js';

export interface Route {
  name: string;
  match: AlertMatcher;
  sinks: string[];
  continue: boolean;
}

export const DEFAULT_ROUTE_NAME = 'default';

export class RouteStage implements Stage {
  readonly name = 'route';

  constructor(
    private readonly routes: readonly Route[],
    private readonly defaultSinks: readonly string[],
  ) {}

  /** The routes one alert takes, in order. */
  routesOf(entry: NotifiedTransition): { name: string; sinks: readonly string[] }[] {
    const taken: { name: string; sinks: readonly string[] }[] = [];
    for (const route of this.routes) {
      if (!matchesEntry(route.match, entry)) continue;
      taken.push(route);
      if (!route.continue) return taken;
    }
    if (taken.length === 0) taken.push({ name: DEFAULT_ROUTE_NAME, sinks: this.defaultSinks });
    return taken;
  }

  run(notification: Notification): Notification[] {
    const byRoute = new Map<string, { sinks: readonly string[]; alerts: NotifiedTransition[] }>();
    for (const entry of notification.alerts) {
      for (const route of this.routesOf(entry)) {
        let bucket = byRoute.get(route.name);
        if (bucket === undefined) byRoute.set(route.name, (bucket = { sinks: route.sinks, alerts: [] }));
        bucket.alerts.push(entry);
      }
    }
    return [...byRoute].map(([route, { sinks, alerts }]) => ({ ...notification, route, sinks: [...sinks], alerts }));
  }
}
