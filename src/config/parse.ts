import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../model/index.js';
import { alertsSchema, type AlertsPlan, type AlertsPlanOptions } from './alerts.js';
import { monitoringConfigSchema, type MonitoringConfig, type ParseOptions } from './schema.js';

type ZodIssue = z.core.$ZodIssue;

/** `resourceThresholds.cpu.warning`, `checks.db.timeout`, `http.ignorePorts[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out.length === 0 ? String(key) : `.${String(key)}`;
  }
  return out.length === 0 ? '(options)' : out;
}

function describeInput(input: unknown): string | undefined {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (typeof input === 'string') return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint') return String(input);
  if (typeof input === 'function') return 'a function';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return undefined; // an object's own fields are reported separately
  return typeof input;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

const SHOWS_INPUT = new Set(['invalid_type', 'too_small', 'too_big', 'invalid_value', 'not_multiple_of', 'invalid_format']);

function withInput(issue: ZodIssue, message: string): string {
  if (SHOWS_INPUT.has(issue.code) && 'input' in issue) {
    const got = describeInput(issue.input);
    if (got !== undefined) return `${message} (got ${got})`;
  }
  return message;
}

/**
 * An issue inside the `alerts` section: its path with dots (`alerts.routes.0.sinks`), unknown
 * fields listed at their object, a union's own message.
 */
function alertsIssue(issue: ZodIssue): ConfigIssue {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return { path, message: `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}` };
  return { path, message: withInput(issue, issue.message) };
}

/** zod issues of a piece of the alerts section (a silence's matchers) as ConfigIssues under `prefix`. */
export function issuesOf(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.map((issue) => alertsIssue({ ...issue, path: [prefix, ...issue.path].filter((p) => p !== '') }));
}

/**
 * zod issues → ConfigIssues, one per bad field (an unknown key each on its own line; in the
 * `alerts` section see alertsIssue).
 */
export function toConfigIssues(issues: readonly ZodIssue[], input?: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.path[0] === 'alerts') {
      out.push(alertsIssue(issue));
      continue;
    }
    // A threshold written as a number is its ERROR level: report it at the threshold itself.
    const path = [...issue.path];
    let prefix = '';
    if (path[path.length - 1] === 'error' && typeof valueAt(input, path.slice(0, -1)) === 'number') {
      path.pop();
      prefix = 'as the ERROR level, ';
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown option' });
      continue;
    }
    if (issue.code === 'invalid_union') {
      // Not produced by this schema today; report the union's first branch's issues.
      const first = issue.errors[0];
      if (first !== undefined && first.length > 0) {
        out.push(...toConfigIssues(first.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), input));
        continue;
      }
    }
    out.push({ path: formatPath(path), message: prefix + withInput(issue, issue.message) });
  }
  return out;
}

/** Validate without throwing. */
export function safeParseConfig(
  input: unknown,
  options: ParseOptions = {},
): { success: true; config: MonitoringConfig } | { success: false; issues: ConfigIssue[] } {
  const result = monitoringConfigSchema(options).safeParse(input === undefined ? {} : input, { reportInput: true });
  if (result.success) return { success: true, config: result.data };
  return { success: false, issues: toConfigIssues(result.error.issues, input) };
}

/**
 * The configuration with every default applied. Throws a ConfigError naming every bad field
 * and why. Environment variables are not read (see loadConfig), except those the `alerts`
 * section names for webhook header values (`{ env: 'VARIABLE' }`), read from `options.env`
 * (default process.env). `options.sinks` names sinks given to the monitor as objects.
 */
export function parseConfig(input: unknown, options: ParseOptions = {}): MonitoringConfig {
  const result = safeParseConfig(input, options);
  if (!result.success) throw new ConfigError(result.issues);
  return result.config;
}

/**
 * The `alerts` section alone, parsed by the same schema: its plan, or a ConfigError naming every
 * bad field (`alerts.routes.0.sinks`, `alerts.sinks.pager.url`, …). Header values are read from
 * `env`; a missing variable is named, its value never. For tests and tools; the monitor takes
 * `parseConfig(...).alertsPlan`.
 */
export function parseAlertsConfig(input: unknown, env?: AlertsPlanOptions['env'], sinks?: readonly string[]): AlertsPlan {
  const result = alertsSchema({ ...(env !== undefined ? { env } : {}), ...(sinks !== undefined ? { sinks } : {}) }).safeParse(input, { reportInput: true });
  if (result.success) return result.data.plan;
  throw new ConfigError(toConfigIssues(result.error.issues.map((issue) => ({ ...issue, path: ['alerts', ...issue.path] }))));
}
