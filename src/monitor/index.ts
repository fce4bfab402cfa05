// The HealthMonitor: assembles reader, checks, rules, history and the alert pipeline.
export { HealthMonitor, type HealthMonitorParts, type HistoryQuery } from './health-monitor.js';
