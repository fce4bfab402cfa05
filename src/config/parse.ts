import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../model/index.js';
import { monitoringConfigSchema, type MonitoringConfig } from './schema.js';

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

/** zod issues → ConfigIssues, one per bad field (an unknown key each on its own line). */
export function toConfigIssues(issues: readonly ZodIssue[], input?: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
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
    let message = issue.message;
    if (SHOWS_INPUT.has(issue.code) && 'input' in issue) {
      const got = describeInput(issue.input);
      if (got !== undefined) message += ` (got ${got})`;
    }
    out.push({ path: formatPath(path), message: prefix + message });
  }
  return out;
}

/** Validate without throwing. */
export function safeParseConfig(
  input: unknown,
): { success: true; config: MonitoringConfig } | { success: false; issues: ConfigIssue[] } {
  const result = monitoringConfigSchema.safeParse(input === undefined ? {} : input, { reportInput: true });
  if (result.success) return { success: true, config: result.data };
  const issues = toConfigIssues(result.error.issues, input);
  // zod skips the object-level refinement (retention ≥ interval) once a field failed; check it
  // here too so every bad field is named in one go.
  if (typeof input === 'object' && input !== null) {
    const { checkInterval, metricsRetention } = input as { checkInterval?: unknown; metricsRetention?: unknown };
    const interval = checkInterval === undefined ? 15 : checkInterval;
    if (
      typeof interval === 'number' &&
      typeof metricsRetention === 'number' &&
      interval > 0 &&
      metricsRetention > 0 &&
      metricsRetention < interval &&
      !issues.some((i) => i.path === 'metricsRetention')
    ) {
      issues.push({
        path: 'metricsRetention',
        message: `must be ≥ checkInterval (${interval} s), or no history is kept (got ${metricsRetention})`,
      });
    }
  }
  return { success: false, issues };
}

/**
 * The configuration with every default applied. Throws a ConfigError naming every bad field
 * and why. Pure: environment variables are not read (see loadConfig).
 */
export function parseConfig(input: unknown): MonitoringConfig {
  const result = safeParseConfig(input);
  if (!result.success) throw new ConfigError(result.issues);
  return result.config;
}
