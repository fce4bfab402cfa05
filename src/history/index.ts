export {
  DEFAULT_MAX_CAPACITY,
  HealthHistory,
  MetricsHistory,
  historyCapacity,
  type HistoryQuery,
  type HistoryRow,
  type MetricsHistoryOptions,
} from './metrics-history.js';
export {
  AlertHistory,
  DEFAULT_ALERT_HISTORY_CAPACITY,
  type AlertHistoryEntry,
  type AlertHistoryOptions,
  type AlertHistoryQuery,
} from './alert-history.js';
