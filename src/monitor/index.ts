// The HealthMonitor: assembles reader, checks, rules, history and the alert pipeline.
export { HealthMonitor, type AlertState, type HealthMonitorParts } from './health-monitor.js';
// monitor.history()'s query: the history folder's one HistoryQuery (since, until, limit).
export type { HistoryQuery } from '../history/index.js';
