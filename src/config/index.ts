export { ConfigError, type ConfigIssue } from '../model/index.js';
export { parseConfig, safeParseConfig } from './parse.js';
export { configFromEnv, loadConfig, mergeEnvInput, ENV_VARS, type Env } from './env.js';
export {
  DEFAULT_ALERT_COOLDOWN,
  DEFAULT_CHECK_INTERVAL,
  DEFAULT_CHECK_TIMEOUT,
  DEFAULT_FOR,
  DEFAULT_LEVELS,
  DEFAULT_METRICS_RETENTION,
  DEFAULT_MIN_REQUESTS,
  DEFAULT_RECOVERY,
  DEFAULT_SERVICE_NAME,
  RUNTIME_OPTION_KEYS,
  monitoringConfigSchema,
  type AlertsConfig,
  type HealthCheckConfig,
  type HealthCheckFunction,
  type HealthCheckInput,
  type HttpConfig,
  type LevelThresholds,
  type MonitoringConfig,
  type MonitoringConfigInput,
  type ResourceThresholds,
  type RuleConfig,
  type StatusServerConfig,
  type ThresholdInput,
} from './schema.js';
