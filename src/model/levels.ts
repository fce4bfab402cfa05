/**
 * The one ranking of monitoring levels, used by the rule engine, the alert stages, the status
 * server and the config schema.
 */
import { MonitoringLevel, type Alert } from './types.js';

/** The name of an alerting level as written in rule thresholds and as the Prometheus `severity`. */
export type LevelName = 'warning' | 'error' | 'critical';

const RANK: Readonly<Record<MonitoringLevel, number>> = {
  [MonitoringLevel.INFO]: 0,
  [MonitoringLevel.WARNING]: 1,
  [MonitoringLevel.ERROR]: 2,
  [MonitoringLevel.CRITICAL]: 3,
};

/** 0 (INFO) … 3 (CRITICAL). */
export function levelRank(level: MonitoringLevel): number {
  return RANK[level];
}

/** The alerting levels, lowest first, with their threshold keys. */
export const ALERT_LEVELS = [
  [MonitoringLevel.WARNING, 'warning'],
  [MonitoringLevel.ERROR, 'error'],
  [MonitoringLevel.CRITICAL, 'critical'],
] as const;

/** The threshold keys of the alerting levels, lowest first. */
export const LEVEL_NAMES: readonly LevelName[] = ALERT_LEVELS.map(([, name]) => name);

/** The highest level among alerts; INFO for none. */
export function highestLevel(alerts: readonly Pick<Alert, 'level'>[]): MonitoringLevel {
  let level = MonitoringLevel.INFO;
  for (const a of alerts) if (RANK[a.level] > RANK[level]) level = a.level;
  return level;
}
