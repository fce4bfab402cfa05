// Shared vocabulary: types, levels and their ranking, ConfigError, the Logs API shapes, the
// package version. Imports nothing of ours; every other folder may import it.
export * from './types.js';
export { ALERT_LEVELS, LEVEL_NAMES, highestLevel, levelRank, type LevelName } from './levels.js';
export { formatDuration, trimZeros } from './duration.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export * from './otel-logs.js';
export { VERSION } from './version.js';
export { InternalErrorReporter, internalErrors, reportInternalError, type InternalErrorReporterOptions } from './internal-errors.js';
