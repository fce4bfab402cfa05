/**
 * Configuration from environment variables, under explicit options.
 *
 * | variable | option |
 * |---|---|
 * | `OTEL_SERVICE_NAME` (else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) | `serviceName` |
 * | `OTEL_HEALTH_CHECK_INTERVAL` (s) | `checkInterval` |
 * | `OTEL_HEALTH_METRICS_RETENTION` (s) | `metricsRetention` |
 * | `OTEL_HEALTH_ERROR_THRESHOLD` | `errorThreshold` |
 * | `OTEL_HEALTH_RESPONSE_TIME_THRESHOLD` (s) | `responseTimeThreshold` |
 * | `OTEL_HEALTH_CPU_THRESHOLD` | `resourceThresholds.cpu` |
 * | `OTEL_HEALTH_MEMORY_THRESHOLD` | `resourceThresholds.memory` |
 * | `OTEL_HEALTH_CONNECTIONS_THRESHOLD` | `resourceThresholds.connections` |
 * | `OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD` (s) | `resourceThresholds.eventLoopDelay` |
 * | `OTEL_HEALTH_ALERT_COOLDOWN` (s) | `alerts.cooldown` |
 * | `OTEL_HEALTH_IGNORE_PATHS` (comma list) | `http.ignorePaths` |
 * | `OTEL_HEALTH_IGNORE_PORTS` (comma list) | `http.ignorePorts` |
 * | `OTEL_HEALTH_STATUS_PORT` | `statusServer.port` |
 * | `OTEL_HEALTH_STATUS_HOST` | `statusServer.host` |
 * | `OTEL_HEALTH_STATUS_TOKEN` | `statusServer.token` |
 * | `OTEL_HEALTH_STARTUP_MESSAGE` (`true` / `false`) | `startupMessage` |
 * | `OTEL_HEALTH_STORE` (a file path) | `store.path` |
 *
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` and
 * `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` set no option (the OTLP exporters read them) but are
 * checked here, so that a value other than `http/protobuf`, `http/json` or `grpc` is reported
 * with the other problems instead of sending to an endpoint that cannot answer.
 *
 * A threshold variable holds a number (the ERROR level), `false`/`off` (rule off), or
 * `key=value` pairs: `warning=0.05,error=0.1,critical=0.25,for=30,recovery=0.8,minRequests=10`.
 * An empty variable counts as unset, as in the OpenTelemetry SDK.
 */
import { ConfigError, type ConfigIssue } from '../model/index.js';
import { formatPath, safeParseConfig } from './parse.js';
import type { MonitoringConfig, MonitoringConfigInput } from './schema.js';

export type Env = Readonly<Record<string, string | undefined>>;

type Kind = 'string' | 'number' | 'threshold' | 'list' | 'ports' | 'port' | 'secret' | 'boolean';

interface EnvVar {
  name: string;
  path: readonly string[];
  kind: Kind;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'OTEL_SERVICE_NAME', path: ['serviceName'], kind: 'string' },
  { name: 'OTEL_HEALTH_CHECK_INTERVAL', path: ['checkInterval'], kind: 'number' },
  { name: 'OTEL_HEALTH_METRICS_RETENTION', path: ['metricsRetention'], kind: 'number' },
  { name: 'OTEL_HEALTH_ERROR_THRESHOLD', path: ['errorThreshold'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_RESPONSE_TIME_THRESHOLD', path: ['responseTimeThreshold'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_CPU_THRESHOLD', path: ['resourceThresholds', 'cpu'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_MEMORY_THRESHOLD', path: ['resourceThresholds', 'memory'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_CONNECTIONS_THRESHOLD', path: ['resourceThresholds', 'connections'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_EVENT_LOOP_DELAY_THRESHOLD', path: ['resourceThresholds', 'eventLoopDelay'], kind: 'threshold' },
  { name: 'OTEL_HEALTH_ALERT_COOLDOWN', path: ['alerts', 'cooldown'], kind: 'number' },
  { name: 'OTEL_HEALTH_IGNORE_PATHS', path: ['http', 'ignorePaths'], kind: 'list' },
  { name: 'OTEL_HEALTH_IGNORE_PORTS', path: ['http', 'ignorePorts'], kind: 'ports' },
  { name: 'OTEL_HEALTH_STATUS_PORT', path: ['statusServer', 'port'], kind: 'port' },
  { name: 'OTEL_HEALTH_STATUS_HOST', path: ['statusServer', 'host'], kind: 'string' },
  { name: 'OTEL_HEALTH_STATUS_TOKEN', path: ['statusServer', 'token'], kind: 'secret' },
  { name: 'OTEL_HEALTH_STARTUP_MESSAGE', path: ['startupMessage'], kind: 'boolean' },
  { name: 'OTEL_HEALTH_STORE', path: ['store', 'path'], kind: 'string' },
];

/** The OTLP protocol variables and their values: the values of src/otlp/export-protocol.ts
 * (OTLP_PROTOCOLS), which config/ may not import; a test keeps the two in step. */
export const OTLP_PROTOCOL_VARS = ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'] as const;
export const OTLP_PROTOCOL_VALUES = ['http/protobuf', 'http/json', 'grpc'] as const;

function otlpProtocolIssues(env: Env): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of OTLP_PROTOCOL_VARS) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '' || (OTLP_PROTOCOL_VALUES as readonly string[]).includes(raw)) continue;
    issues.push({ path: name, message: `must be one of ${OTLP_PROTOCOL_VALUES.join(', ')} (got ${JSON.stringify(raw)})` });
  }
  return issues;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const THRESHOLD_KEYS = new Set(['warning', 'error', 'critical', 'for', 'recovery', 'recoveryThreshold', 'minRequests']);

function parseNumber(raw: string): number | undefined {
  const s = raw.trim();
  return NUMBER.test(s) ? Number(s) : undefined;
}

function parseValue(v: EnvVar, raw: string): { value: unknown } | { error: string } {
  switch (v.kind) {
    case 'string':
      return { value: raw.trim() };
    case 'number': {
      const n = parseNumber(raw);
      return n === undefined ? { error: `must be a number of seconds (got ${JSON.stringify(raw)})` } : { value: n };
    }
    case 'threshold': {
      const s = raw.trim();
      if (/^(false|off|none)$/i.test(s)) return { value: false };
      const n = parseNumber(s);
      if (n !== undefined) return { value: n };
      if (!s.includes('=')) {
        return {
          error: `must be a number (the ERROR level), "false", or key=value pairs like "warning=0.05,error=0.1" (got ${JSON.stringify(raw)})`,
        };
      }
      const out: Record<string, number> = {};
      for (const part of s.split(',')) {
        const [key = '', value = '', ...extra] = part.split('=').map((x) => x.trim());
        if (!THRESHOLD_KEYS.has(key)) {
          return { error: `unknown key ${JSON.stringify(key)} (known: ${[...THRESHOLD_KEYS].join(', ')})` };
        }
        const num = extra.length === 0 ? parseNumber(value) : undefined;
        if (num === undefined) return { error: `${key} must be a number (got ${JSON.stringify(value)})` };
        out[key] = num;
      }
      return { value: out };
    }
    case 'list':
      return { value: raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0) };
    case 'port': {
      const n = parseNumber(raw);
      if (n === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
        return { error: `must be a port number (0–65535; got ${JSON.stringify(raw.trim())})` };
      }
      return { value: n };
    }
    case 'boolean': {
      const s = raw.trim().toLowerCase();
      if (s === 'true' || s === 'on' || s === '1') return { value: true };
      if (s === 'false' || s === 'off' || s === '0') return { value: false };
      return { error: `must be true or false (got ${JSON.stringify(raw.trim())})` };
    }
    case 'secret':
      // Never echoed in messages: the schema's messages name only the length rule.
      return { value: raw.trim() };
    case 'ports': {
      const ports: number[] = [];
      for (const part of raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0)) {
        const n = parseNumber(part);
        if (n === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
          return { error: `must be a comma-separated list of port numbers (got ${JSON.stringify(part)})` };
        }
        ports.push(n);
      }
      return { value: ports };
    }
  }
}

/** `service.name` from `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-encoded). */
function resourceServiceName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== 'service.name') continue;
    try {
      const value = decodeURIComponent(pair.slice(eq + 1).trim());
      return value.length > 0 ? value : undefined;
    } catch {
      return undefined; // malformed: ignored, as the SDK does
    }
  }
  return undefined;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(target: unknown, path: readonly string[]): unknown {
  let node = target;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

interface EnvReading {
  input: Record<string, unknown>;
  /** Which variable set each option (for error messages). */
  sources: EnvVar[];
  issues: ConfigIssue[];
}

function readEnv(env: Env): EnvReading {
  const input: Record<string, unknown> = {};
  const sources: EnvVar[] = [];
  const issues: ConfigIssue[] = [];
  for (const v of ENV_VARS) {
    const raw = env[v.name];
    if (raw === undefined || raw.trim() === '') continue;
    const parsed = parseValue(v, raw);
    if ('error' in parsed) {
      issues.push({ path: v.name, message: parsed.error });
      continue;
    }
    setPath(input, v.path, parsed.value);
    sources.push(v);
  }
  issues.push(...otlpProtocolIssues(env));
  if (input.serviceName === undefined) {
    const name = resourceServiceName(env.OTEL_RESOURCE_ATTRIBUTES);
    if (name !== undefined) {
      input.serviceName = name;
      sources.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', path: ['serviceName'], kind: 'string' });
    }
  }
  return { input, sources, issues };
}

/** Rename issues about options that came from a variable, so the message names the variable. */
function attribute(issues: ConfigIssue[], sources: readonly EnvVar[]): ConfigIssue[] {
  return issues.map((issue) => {
    for (const source of sources) {
      const prefix = formatPath(source.path);
      if (issue.path === prefix) return { path: source.name, message: issue.message };
      if (issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`)) {
        return { path: source.name, message: `${issue.path.slice(prefix.length).replace(/^\./, '')}: ${issue.message}` };
      }
    }
    return issue;
  });
}

/**
 * The options the environment sets, as a MonitoringConfigInput (only what is set). Throws a
 * ConfigError naming each bad variable and why.
 */
export function configFromEnv(env: Env = process.env): MonitoringConfigInput {
  const { input, sources, issues } = readEnv(env);
  const checked = safeParseConfig(input);
  if (!checked.success) issues.push(...attribute(checked.issues, sources));
  if (issues.length > 0) throw new ConfigError(issues);
  return input as MonitoringConfigInput;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NESTED = ['resourceThresholds', 'alerts', 'http', 'statusServer', 'store'];

/**
 * Environment under explicit options: a key given in `options` (not undefined) wins; the
 * nested groups resourceThresholds, alerts and http merge key by key.
 */
export function mergeEnvInput(fromEnv: Record<string, unknown>, options: unknown): unknown {
  if (options === undefined) return fromEnv;
  if (!isPlainObject(options)) return options; // the schema reports it
  const out: Record<string, unknown> = { ...fromEnv };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (NESTED.includes(key) && isPlainObject(value) && isPlainObject(fromEnv[key])) {
      const merged: Record<string, unknown> = { ...(fromEnv[key] as Record<string, unknown>) };
      for (const [k, v] of Object.entries(value)) if (v !== undefined) merged[k] = v;
      out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The configuration to start with: environment variables under explicit `options` (explicit
 * wins), every default applied. Throws one ConfigError naming every bad field or variable. A bad
 * variable whose option is given explicitly is ignored, since it would not be used.
 */
export function loadConfig(options?: unknown, env: Env = process.env): MonitoringConfig {
  const reading = readEnv(env);
  const overridden = (path: readonly string[]): boolean => getPath(options, path) !== undefined;
  const sources = reading.sources.filter((s) => !overridden(s.path));
  const issues = reading.issues.filter((i) => {
    const v = ENV_VARS.find((e) => e.name === i.path);
    return v === undefined || !overridden(v.path);
  });
  // Webhook header variables (`{ env: 'NAME' }` in alerts.sinks) are read from the same environment.
  const result = safeParseConfig(mergeEnvInput(reading.input, options), { env });
  if (!result.success) issues.push(...attribute(result.issues, sources));
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return result.config;
}
