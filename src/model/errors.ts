/** One problem with a configuration: where (a dotted path, or an environment variable) and why. */
export interface ConfigIssue {
  /** e.g. `resourceThresholds.cpu.warning`, `checks.db.timeout`, `OTEL_HEALTH_CHECK_INTERVAL`. */
  path: string;
  message: string;
}

/**
 * A configuration that cannot be used. Thrown at start (parseConfig, loadConfig,
 * configFromEnv), listing every bad field at once; never later.
 */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
    const n = issues.length;
    super(`Invalid otel-health configuration (${n} problem${n === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
