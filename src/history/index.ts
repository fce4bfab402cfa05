export {
  DEFAULT_MAX_CAPACITY,
  HealthHistory,
  MetricsHistory,
  historyCapacity,
  type HistoryQuery,
  type HistoryRow,
  type MetricsHistoryOptions,
  type SloBudgetSample,
} from './metrics-history.js';
export { HistoryStore, DEFAULT_TIERS, type HistoryStoreOptions, type HistoryStoreStats, type MetricRow, type StoreQuery } from './store/index.js';
export { sloEventsSince, type StoredSloEvents } from './store/index.js';
export {
  AlertHistory,
  DEFAULT_ALERT_HISTORY_CAPACITY,
  type AlertHistoryEntry,
  type AlertHistoryOptions,
  type AlertHistoryQuery,
} from './alert-history.js';
