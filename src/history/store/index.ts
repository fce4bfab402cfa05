// The persisted store of history and alert state (issue 14): an append-only record log with
// retention tiers. Imports only model/ and node built-ins; see docs/STORE.md.
export {
  HistoryStore,
  DEFAULT_TIERS,
  type HistoryStoreOptions,
  type HistoryStoreStats,
  type StoreQuery,
  type TierOptions,
} from './history-store.js';
export { RecordLog, type StoreReport, type RecordLogStats } from './record-log.js';
export { downsample, bucketEnd } from './downsample.js';
export { encodeRow, decodeRow, type MetricRow } from './rows.js';
export { sloEventsSince, type StoredSloEvents } from './slo-events.js';
export { type SloEventCounts } from './slo-counts.js';
export {
  DEFAULT_MAX_BUCKETS,
  fitHistogram,
  histogramCount,
  histogramOf,
  histogramQuantile,
  mergeHistograms,
  type StoredHistogram,
} from './histogram.js';
export { acquireLock, type LockOwner, type LockResult } from './lock.js';
export { FORMAT_VERSION, crc32, crc32IsNative } from './format.js';
