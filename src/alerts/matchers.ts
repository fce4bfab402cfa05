/**
 * Matchers of routes, inhibition rules and silences. Every field given must match (AND); a list
 * matches any of its values (OR); a string ending in `*` matches by prefix (`check:*`).
 */
import type { Alert, MonitoringLevel } from '../model/index.js';
import type { NotifiedTransition } from './stage.js';

export type Pattern = string | string[];

export interface AlertMatcher {
  level?: MonitoringLevel | `${MonitoringLevel}` | Array<MonitoringLevel | `${MonitoringLevel}`>;
  service?: Pattern;
  /** e.g. `error_rate`, `check:*`. */
  rule?: Pattern;
  /**
   * The alert's state after the transition: a `de-escalated` alert is `firing`; a `flapping`
   * one is whichever it was when the notification went out.
   */
  state?: 'firing' | 'resolved';
  /**
   * Against the alert record's attributes (`health.alert.*`, `service.name`); values compared as
   * strings. E.g. `{ 'health.alert.transition': 'flapping' }`, or `{ 'health.alert.transition':
   * 'de-escalated', 'health.alert.previous_level': 'CRITICAL' }`.
   */
  attributes?: Record<string, string | number | boolean>;
}

function one(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

function matchesPattern(pattern: Pattern | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return Array.isArray(pattern) ? pattern.some((p) => one(p, value)) : one(pattern, value);
}

/** The attributes a matcher's `attributes` sees. */
export function alertAttributes(entry: NotifiedTransition): Record<string, string> {
  const { alert } = entry.transition;
  const attributes: Record<string, string> = {
    'health.alert.rule': alert.rule,
    'health.alert.state': alert.state,
    'health.alert.level': alert.level,
    'health.alert.fingerprint': alert.fingerprint,
    'health.alert.transition': entry.transition.kind,
    'service.name': alert.serviceId,
  };
  // As on the alert record (log-record.ts): the level before a level change, a flap's counts.
  const { previousLevel, flapping } = entry.transition;
  if (previousLevel !== undefined) attributes['health.alert.previous_level'] = previousLevel;
  if (flapping !== undefined) {
    attributes['health.alert.flapping.changes'] = String(flapping.changes);
    attributes['health.alert.flapping.window'] = String(flapping.windowSeconds);
  }
  if (entry.incident !== undefined) {
    attributes['health.alert.incident'] = entry.incident.id;
    attributes['health.alert.incident.cause'] = entry.incident.cause;
  }
  return attributes;
}

export function matchesAlert(matcher: AlertMatcher, alert: Alert, entry?: NotifiedTransition): boolean {
  if (!matchesPattern(matcher.level as Pattern | undefined, alert.level)) return false;
  if (!matchesPattern(matcher.service, alert.serviceId)) return false;
  if (!matchesPattern(matcher.rule, alert.rule)) return false;
  if (matcher.state !== undefined && matcher.state !== alert.state) return false;
  if (matcher.attributes !== undefined) {
    const attributes = alertAttributes(entry ?? { transition: { kind: alert.state === 'resolved' ? 'resolved' : 'firing', alert, at: alert.startsAt } });
    for (const [key, value] of Object.entries(matcher.attributes)) {
      if (attributes[key] !== String(value)) return false;
    }
  }
  return true;
}

export function matchesEntry(matcher: AlertMatcher, entry: NotifiedTransition): boolean {
  return matchesAlert(matcher, entry.transition.alert, entry);
}

