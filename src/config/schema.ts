/**
 * MonitoringConfig: the monitoring configuration (README "Configuration"), validated by zod.
 *
 * Times are in seconds (fractions allowed). A rule's threshold is written as
 * - a number: its ERROR level only (`errorThreshold: 0.2`);
 * - `false`: the rule is off;
 * - an object `{ warning?, error?, critical?, for?, recovery?, recoveryThreshold?, minRequests? }`.
 *   Levels written replace the default levels as a whole (write every level you want); an
 *   object with no level keeps the default levels and only changes the other options. Levels
 *   must be ordered warning ≤ error ≤ critical.
 *
 * Rule options: `for` (seconds the value must stay at a level before it fires or escalates;
 * default 0: the first check over the threshold fires), `recovery` (a ratio in (0, 1], default
 * 0.8: a firing level holds until the value falls below recovery × that level's threshold),
 * `recoveryThreshold` (an absolute value below which the alert resolves, instead of recovery ×
 * the lowest level), `minRequests` (error_rate and response_time only: a window with fewer
 * requests or operations is not judged; default 5).
 */
import type { IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import { z } from 'zod';
import { slosSchema, type SloConfig, type SloInput } from './slos.js';
import { ANOMALY_SERIES, LEVEL_NAMES, MonitoringLevel, type AnomalySeries } from '../model/index.js';
import { alertsSchema, type AlertsInput, type AlertsPlan, type AlertsPlanOptions } from './alerts.js';

/** Thresholds per level, in the rule's unit; an absent level is not used. */
export interface LevelThresholds {
  warning?: number;
  error?: number;
  critical?: number;
}

/** One rule's settings after parsing. */
export interface RuleConfig extends LevelThresholds {
  /** Seconds the value must stay at a level before it fires or escalates. */
  for: number;
  /** A firing level holds until the value falls below recovery × its threshold. (0, 1]. */
  recovery: number;
  /** When set: the alert resolves only below this value (instead of recovery × lowest level). */
  recoveryThreshold?: number;
  /** error_rate and response_time: windows with fewer requests or operations are not judged. */
  minRequests?: number;
}

/** A rule's threshold as written by a user. */
export type ThresholdInput =
  | number
  | false
  | (LevelThresholds & {
      /** false turns the rule off (same as writing `false`). */
      enabled?: boolean;
      for?: number;
      recovery?: number;
      recoveryThreshold?: number;
      minRequests?: number;
    });

export interface ResourceThresholds {
  /** CPU utilisation 0..1 of the CPUs available to the process (cgroup quota aware). */
  cpu: RuleConfig | false;
  /** Memory utilisation 0..1: max(rss / cgroup limit, V8 heap used / heap limit). */
  memory: RuleConfig | false;
  /** Open HTTP server connections. */
  connections: RuleConfig | false;
  /** Event-loop delay p99, seconds. */
  eventLoopDelay: RuleConfig | false;
}

/**
 * The `anomaly` rules after parsing: one rule `anomaly:<series>` per series, on the series'
 * anomaly score (0..1), with the levels, `for` and hysteresis of any rule.
 */
export interface AnomalyConfig extends RuleConfig {
  /** The series watched. Default `DEFAULT_ANOMALY_SERIES`. */
  series: AnomalySeries[];
  /** Checks a series' detector learns before its score is judged. Default 64 (16 min at 15 s checks). */
  warmup: number;
  /** response_time and error_rate: a window with fewer requests or operations gives no point (not learned). */
  minRequests: number;
}

/** Which servers and requests the HTTP instrumentation does not measure (the `http` option). */
export interface HttpInstrumentationOptions {
  /** Servers never measured (e.g. an internal metrics port). Default: none. */
  ignoreServers?: Server[];
  /** Listening ports never measured. Default: none. */
  ignorePorts?: number[];
  /** Exact request paths never measured, query string ignored (e.g. `/health/live`). Default: none. */
  ignorePaths?: string[];
  /** Return true to leave a request out. Called once per request; a throw counts as false. */
  ignoreRequest?: (request: IncomingMessage) => boolean;
}

/** `http` after parsing: the lists always present. */
export interface HttpConfig extends HttpInstrumentationOptions {
  ignorePaths: string[];
  ignorePorts: number[];
}

/**
 * A custom health check. Resolve (or return) anything but `false` for healthy; return `false`,
 * throw or reject for unhealthy. The signal aborts at the check's timeout.
 */
export type HealthCheckFunction = (signal: AbortSignal) => unknown;

export interface HealthCheckConfig {
  name: string;
  check: HealthCheckFunction;
  /** Seconds before the check counts as failed. Default min(5, checkInterval). */
  timeout: number;
  /** The level of the `check:<name>` alert while the check fails. Default ERROR. */
  level: MonitoringLevel.WARNING | MonitoringLevel.ERROR | MonitoringLevel.CRITICAL;
  /** Seconds the check must keep failing before its alert fires. Default 0. */
  for: number;
}

export type HealthCheckInput =
  | HealthCheckFunction
  | {
      check: HealthCheckFunction;
      timeout?: number;
      level?: 'warning' | 'error' | 'critical' | MonitoringLevel;
      for?: number;
    };

/** The parsed configuration: every default applied. */
export interface MonitoringConfig {
  /** `service.name`. */
  serviceName: string;
  /** Seconds between checks. */
  checkInterval: number;
  /** Seconds of history kept. */
  metricsRetention: number;
  /** Rule `error_rate`: failed / all requests and operations, 0..1. */
  errorThreshold: RuleConfig | false;
  /** Rule `response_time`: p95 response time, seconds. */
  responseTimeThreshold: RuleConfig | false;
  resourceThresholds: ResourceThresholds;
  /** Rules `anomaly:<series>`; `false` (the default): off. */
  anomaly: AnomalyConfig | false;
  /**
   * The `alerts` section as written (validated), with `cooldown` always present; alertsPlan is
   * what it means (every default applied).
   */
  alerts: AlertsInput & { cooldown: number };
  /** The alert pipeline's plan: every alert default applied, routes, sinks, inhibition rules. */
  alertsPlan: AlertsPlan;
  /** Custom health checks, in the order given. */
  checks: HealthCheckConfig[];
  http: HttpConfig;
  /** The opt-in status server (/health, /health/live, /health/ready, /); absent: not started. */
  statusServer?: StatusServerConfig;
  /** Print one line when monitoring starts (service, check interval, where alerts go, status page). */
  startupMessage: boolean;
  /** The persisted store of history and alert state; absent: off (everything in memory). */
  store?: StoreConfig;
  /** Service level objectives, each with burn-rate alerts `slo:<name>` (config/slos.ts). Default none. */
  slos: SloConfig[];
}

/** The persisted store's settings after parsing (issue 14; docs/STORE.md). */
export interface StoreConfig {
  /** The store file; its directory is created when missing. */
  path: string;
  /** Downsampled tiers after the raw checks, finest first. Default 5 min for 30 days, 1 h for 400 days. */
  tiers: Array<{ resolution: number; retention: number }>;
}

/** The status server's settings after parsing. */
export interface StatusServerConfig {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to bind. Default `127.0.0.1`. */
  host: string;
  /** When set: `/` and `/health` need `Authorization: Bearer <token>` (or Basic with the token as password). */
  token?: string;
}

/** The configuration as a user writes it: everything optional. */
export interface MonitoringConfigInput {
  serviceName?: string;
  checkInterval?: number;
  metricsRetention?: number;
  errorThreshold?: ThresholdInput;
  responseTimeThreshold?: ThresholdInput;
  resourceThresholds?: {
    cpu?: ThresholdInput;
    memory?: ThresholdInput;
    connections?: ThresholdInput;
    eventLoopDelay?: ThresholdInput;
  };
  /**
   * Anomaly rules `anomaly:<series>`: `true` with the defaults, `false` (the default) off, or
   * `{ series?, warmup?, warning?, error?, critical?, for?, recovery?, recoveryThreshold?, minRequests? }`
   * (levels are anomaly scores 0..1; default WARNING 0.99).
   */
  anomaly?: AnomalyInput;
  /** Alert handling: cooldown, routes, sinks, inhibition (see config/alerts.ts). */
  alerts?: AlertsInput;
  /** By name (`{ db: () => ping() }`), or a list of `{ name, check, … }`. */
  checks?: Record<string, HealthCheckInput> | Array<HealthCheckInput & { name: string }>;
  http?: HttpInstrumentationOptions;
  /** Start the status server: `{ port, host?, token? }`; `false` keeps it off even when the environment sets it. */
  statusServer?: { port?: number; host?: string; token?: string } | false;
  /** One line on stdout when monitoring starts. Default true; `false` (or OTEL_HEALTH_STARTUP_MESSAGE=false) turns it off. */
  startupMessage?: boolean;
  /**
   * Keep history and alert state in a file so they survive restarts: `{ path, tiers? }` (or
   * OTEL_HEALTH_STORE=<path>); `false` keeps it off even when the environment sets it. Off by default.
   */
  store?: { path?: string; tiers?: Array<{ resolution: number; retention: number }> } | false;
  /**
   * Service level objectives: `[{ name, objective, window?, indicator?, service?, route?, levels? }]`,
   * e.g. `{ name: 'availability', objective: 0.999 }` (30 days, availability). Each has burn-rate
   * alerts `slo:<name>` (README "Service level objectives").
   */
  slos?: SloInput[];
}

// ---------------------------------------------------------------------------------------------
// Defaults, as README's "Configuration" table lists them (a number given for a threshold is its ERROR level).

export const DEFAULT_SERVICE_NAME = 'unknown_service:node';
export const DEFAULT_CHECK_INTERVAL = 15;
export const DEFAULT_METRICS_RETENTION = 86_400;
export const DEFAULT_STATUS_HOST = '127.0.0.1';
/** Shortest status server token accepted. */
export const MIN_STATUS_TOKEN_LENGTH = 16;
export const DEFAULT_FOR = 0;
export const DEFAULT_RECOVERY = 0.8;
export const DEFAULT_MIN_REQUESTS = 5;
/** Longest default check timeout, seconds (shorter when the check interval is shorter). */
export const DEFAULT_CHECK_TIMEOUT = 5;

/** The series watched by `anomaly: true`: the four the issue names, each a way a service breaks unannounced. */
export const DEFAULT_ANOMALY_SERIES: readonly AnomalySeries[] = ['response_time', 'error_rate', 'request_rate', 'cpu'];
/** Checks learned before an anomaly score is judged: 64 (16 min at the default 15 s interval). */
export const DEFAULT_ANOMALY_WARMUP = 64;

export const DEFAULT_LEVELS = {
  /**
   * Anomaly score 0..1: WARNING only. The score is the rarity of a point's novelty among the
   * series' recent points; 0.99 is near the threshold NAB's scorer picked on its 35 series
   * (bench/nab/RESULTS.md). Not paging by default: the detector is not yet good enough to wake
   * someone (README "Anomaly detection").
   */
  anomaly: { warning: 0.99 },
  /** Error rate 0..1: WARNING 5 %, ERROR 10 % (the README's default error threshold), CRITICAL 25 %. */
  errorRate: { warning: 0.05, error: 0.1, critical: 0.25 },
  /** p95 response time, s: WARNING 0.5, ERROR 1.0 (the README's default response-time threshold), CRITICAL 2.5. */
  responseTime: { warning: 0.5, error: 1, critical: 2.5 },
  /** CPU utilisation 0..1 of available CPUs. */
  cpu: { warning: 0.7, error: 0.85, critical: 0.95 },
  /** Memory utilisation 0..1 (see ResourceThresholds.memory). */
  memory: { warning: 0.8, error: 0.9, critical: 0.95 },
  /** Open connections. */
  connections: { warning: 800, error: 1000 },
  /** Event-loop delay p99, s. */
  eventLoopDelay: { warning: 0.1, error: 0.5, critical: 1 },
} as const satisfies Record<string, LevelThresholds>;

// ---------------------------------------------------------------------------------------------
// Schema pieces.

const num = (what = 'a number') => z.number({ error: `must be ${what}` });
const seconds = () => num('a number of seconds').positive('must be > 0 seconds');
const nonNegativeSeconds = () => num('a number of seconds').min(0, 'must be ≥ 0 seconds');

type Kind = 'ratio' | 'seconds' | 'count' | 'score';

function levelSchema(kind: Kind) {
  switch (kind) {
    case 'ratio':
      return num('a fraction from 0 to 1 (0.1 = 10%)')
        .min(0, 'must be a fraction from 0 to 1 (0.1 = 10%)')
        .max(1, 'must be a fraction from 0 to 1 (0.1 = 10%)');
    case 'seconds':
      return seconds();
    case 'count':
      return num().min(0, 'must be ≥ 0');
    case 'score':
      return num('an anomaly score from 0 to 1').min(0, 'must be an anomaly score from 0 to 1').max(1, 'must be an anomaly score from 0 to 1');
  }
}

const THRESHOLD_SHAPE_MESSAGE =
  'must be a number (its ERROR level), false (rule off), or an object { warning, error, critical, for, recovery }';

function fmt(v: number): string {
  return String(v);
}

/** A rule threshold: number | false | object, normalised to RuleConfig | false. */
function thresholdSchema(kind: Kind, defaults: LevelThresholds, requestGated: boolean, extra: z.ZodRawShape = {}) {
  const level = levelSchema(kind);
  const shape = {
    ...extra,
    enabled: z.boolean({ error: 'must be true or false' }).optional(),
    warning: level.optional(),
    error: level.optional(),
    critical: level.optional(),
    for: nonNegativeSeconds().optional(),
    recovery: num('a ratio in (0, 1]')
      .gt(0, 'must be a ratio in (0, 1], e.g. 0.8')
      .max(1, 'must be a ratio in (0, 1], e.g. 0.8')
      .optional(),
    recoveryThreshold: num().min(0, 'must be ≥ 0').optional(),
    ...(requestGated
      ? { minRequests: num('a whole number').int('must be a whole number').min(0, 'must be ≥ 0').optional() }
      : {}),
  };
  const object = z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' ? THRESHOLD_SHAPE_MESSAGE : undefined),
  });
  return z
    .preprocess((v) => (typeof v === 'number' ? { error: v } : v === false ? { enabled: false } : v), object)
    .transform((t, ctx): RuleConfig | false => {
      if (t.enabled === false) return false;
      const written = t.warning !== undefined || t.error !== undefined || t.critical !== undefined;
      const levels: LevelThresholds = written
        ? { warning: t.warning, error: t.error, critical: t.critical }
        : { ...defaults };
      const present = LEVEL_NAMES.filter((l) => levels[l] !== undefined);
      for (let i = 1; i < present.length; i++) {
        const lower = present[i - 1]!;
        const higher = present[i]!;
        if (levels[lower]! > levels[higher]!) {
          ctx.addIssue({
            code: 'custom',
            message: `levels must be ordered warning ≤ error ≤ critical (got ${lower} ${fmt(levels[lower]!)} > ${higher} ${fmt(levels[higher]!)})`,
            input: t,
          });
          return z.NEVER;
        }
      }
      const lowest = present.length > 0 ? levels[present[0]!]! : undefined;
      if (t.recoveryThreshold !== undefined && lowest !== undefined && t.recoveryThreshold > lowest) {
        ctx.addIssue({
          code: 'custom',
          path: ['recoveryThreshold'],
          message: `must be ≤ the lowest level's threshold (${present[0]} ${fmt(lowest)}), or the alert would flap`,
          input: t.recoveryThreshold,
        });
        return z.NEVER;
      }
      const rule: RuleConfig = { for: t.for ?? DEFAULT_FOR, recovery: t.recovery ?? DEFAULT_RECOVERY };
      for (const l of present) rule[l] = levels[l];
      if (t.recoveryThreshold !== undefined) rule.recoveryThreshold = t.recoveryThreshold;
      if (requestGated) rule.minRequests = (t as { minRequests?: number }).minRequests ?? DEFAULT_MIN_REQUESTS;
      // Options of a rule beyond the threshold's (anomaly: series, warmup) ride along when given.
      for (const key of Object.keys(extra)) {
        const v = (t as Record<string, unknown>)[key];
        if (v !== undefined) (rule as unknown as Record<string, unknown>)[key] = v;
      }
      return rule;
    })
    .prefault({});
}

const functionSchema = <F>(message = 'must be a function') =>
  z.custom<F>((v) => typeof v === 'function', { error: message });

const checkLevel = z.preprocess(
  (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  z.enum([MonitoringLevel.WARNING, MonitoringLevel.ERROR, MonitoringLevel.CRITICAL], {
    error: "must be 'warning', 'error' or 'critical'",
  }),
);

const checkObject = z.strictObject(
  {
    check: functionSchema<HealthCheckFunction>('must be a function (the check)'),
    timeout: seconds().optional(),
    level: checkLevel.optional(),
    for: nonNegativeSeconds().optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a function or { check, timeout?, level?, for? }' : undefined) },
);

const checkEntry = z.preprocess((v) => (typeof v === 'function' ? { check: v } : v), checkObject);

/** Checks by name; a list of `{ name, … }` is turned into the same record first. */
const checksSchema = z
  .preprocess(
    (v, ctx) => {
      if (!Array.isArray(v)) return v;
      const byName: Record<string, unknown> = {};
      v.forEach((entry: unknown, i) => {
        if (typeof entry !== 'object' || entry === null || typeof (entry as { name?: unknown }).name !== 'string') {
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'each check needs a name (a string)', input: entry });
          return;
        }
        const { name, ...rest } = entry as { name: string };
        if (name in byName) {
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate check name "${name}"`, input: name });
          return;
        }
        byName[name] = rest;
      });
      return byName;
    },
    z.record(
      z.string().trim().min(1, 'a check name must not be empty').max(100, 'a check name must be at most 100 characters'),
      checkEntry,
      { error: 'must be an object of named checks ({ db: () => ping() }) or a list of { name, check }' },
    ),
  )
  .optional();

const httpSchema = z
  .strictObject(
    {
      ignorePaths: z.array(z.string({ error: 'must be a path (a string)' }), { error: 'must be a list of paths' }).default(() => []),
      ignorePorts: z
        .array(num('a port number').int('must be a port number').min(0, 'must be a port (0–65535)').max(65535, 'must be a port (0–65535)'), {
          error: 'must be a list of port numbers',
        })
        .default(() => []),
      ignoreServers: z
        .array(z.custom<Server>((v) => typeof v === 'object' && v !== null, { error: 'must be a server object' }), {
          error: 'must be a list of servers',
        })
        .optional(),
      ignoreRequest: functionSchema<(request: IncomingMessage) => boolean>().optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { ignorePaths, ignorePorts, … }' : undefined) },
  )
  .prefault({});

const portMessage = 'must be a port number (0–65535; 0 picks a free port)';
const portSchema = z
  .number({
    error: (issue) =>
      issue.input === undefined ? 'required to start the status server (or OTEL_HEALTH_STATUS_PORT)' : portMessage,
  })
  .int(portMessage)
  .min(0, portMessage)
  .max(65535, portMessage);

/** `false` (off, even when the environment sets it) or `{ port, host?, token? }`. */
const statusServerSchema = z
  .preprocess(
    (v) => (v === false ? undefined : v),
    z
      .strictObject(
        {
          port: portSchema,
          host: z
            .string({ error: 'must be an address to bind (a string)' })
            .trim()
            .min(1, 'must not be empty')
            .max(255, 'must be at most 255 characters')
            .default(DEFAULT_STATUS_HOST),
          // A custom refinement, not min(): its message never echoes the value (a secret).
          token: z
            .string({ error: 'must be a string' })
            .refine((t) => t.length >= MIN_STATUS_TOKEN_LENGTH && t.length <= 1024, {
              message: `must be ${MIN_STATUS_TOKEN_LENGTH} to 1024 characters`,
            })
            .optional(),
        },
        { error: (issue) => (issue.code === 'invalid_type' ? 'must be false or an object { port, host?, token? }' : undefined) },
      )
      .optional(),
  )
  .optional();

const resourceSchema = z
  .strictObject(
    {
      cpu: thresholdSchema('ratio', DEFAULT_LEVELS.cpu, false),
      memory: thresholdSchema('ratio', DEFAULT_LEVELS.memory, false),
      connections: thresholdSchema('count', DEFAULT_LEVELS.connections, false),
      eventLoopDelay: thresholdSchema('seconds', DEFAULT_LEVELS.eventLoopDelay, false),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' ? 'must be an object { cpu, memory, connections, eventLoopDelay }' : undefined,
    },
  )
  .prefault({});

/** The default tiers: 5-minute rows for 30 days, 1-hour rows for 400 days. */
export const DEFAULT_STORE_TIERS: ReadonlyArray<{ resolution: number; retention: number }> = [
  { resolution: 300, retention: 30 * 86_400 },
  { resolution: 3600, retention: 400 * 86_400 },
];

/** `false` (off, even when the environment sets it) or `{ path, tiers? }`. */
const storeSchema = z.preprocess(
  (v) => (v === false ? undefined : v),
  z
    .strictObject(
      {
        path: z
          .string({ error: (issue) => (issue.input === undefined ? 'required to keep a store (or OTEL_HEALTH_STORE)' : 'must be a file path (a string)') })
          .trim()
          .min(1, 'must not be empty'),
        tiers: z
          .array(
            z.strictObject(
              { resolution: seconds(), retention: seconds() },
              { error: 'each tier must be { resolution, retention } in seconds' },
            ),
            { error: 'must be a list of { resolution, retention }' },
          )
          .refine((tiers) => tiers.every((t, i) => i === 0 || t.resolution > tiers[i - 1]!.resolution), 'resolutions must rise, finest tier first')
          .optional(),
      },
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be false or an object { path, tiers? }' : undefined) },
    )
    .transform((s): StoreConfig => ({ path: s.path, tiers: s.tiers ?? DEFAULT_STORE_TIERS.map((t) => ({ ...t })) }))
    .optional(),
);

/** `anomaly` as written: `true` (the defaults), `false` (off), or an object. */
export type AnomalyInput =
  | boolean
  | (Exclude<ThresholdInput, number | false> & {
      series?: AnomalySeries[];
      warmup?: number;
    });

/** `anomaly`: off unless asked (`true`: the defaults); the rule options are those of a threshold. */
const anomalySchema = z.preprocess(
  (v) => (v === undefined ? false : v === true ? {} : v),
  thresholdSchema('score', DEFAULT_LEVELS.anomaly, true, {
    series: z
      .array(z.enum(ANOMALY_SERIES, { error: `must be one of ${ANOMALY_SERIES.join(', ')}` }), {
        error: `must be a list of series (${ANOMALY_SERIES.join(', ')})`,
      })
      .min(1, 'must name at least one series (or set anomaly: false)')
      .refine((list) => new Set(list).size === list.length, 'must not name a series twice')
      .optional(),
    warmup: num('a whole number of checks')
      .int('must be a whole number of checks')
      .min(8, 'must be at least 8 checks')
      .max(100_000, 'must be at most 100000 checks')
      .optional(),
  }).transform((rule): AnomalyConfig | false => {
    if (rule === false) return false;
    const { series, warmup, ...rest } = rule as RuleConfig & { series?: AnomalySeries[]; warmup?: number };
    return {
      ...rest,
      minRequests: rest.minRequests ?? DEFAULT_MIN_REQUESTS,
      series: series ?? [...DEFAULT_ANOMALY_SERIES],
      warmup: warmup ?? DEFAULT_ANOMALY_WARMUP,
    };
  }),
);

/**
 * Keys of the monitor's options that are not configuration (runtime objects handed to the
 * HealthMonitor): accepted by parseConfig so the whole options object can be passed, and left
 * out of its result.
 */
export const RUNTIME_OPTION_KEYS = ['reader', 'loggerProvider', 'meterProvider'] as const;

/** What parsing needs besides the input: where alert header variables are read, sinks given as objects. */
export type ParseOptions = AlertsPlanOptions;

const positive = (v: unknown): v is number => typeof v === 'number' && v > 0;

/**
 * A check across fields that runs even when other fields failed (zod skips refinements then by
 * default), so one ConfigError lists every problem. `fn` must therefore accept fields that did
 * not parse.
 */
function everyTime<T>(fn: (value: T, ctx: z.core.$RefinementCtx<T>) => void): z.core.$ZodCheck<T> {
  const check = z.superRefine<T>(fn);
  check._zod.def.when = () => true;
  return check;
}

/**
 * The one schema of the whole configuration, the `alerts` section included. Every problem is
 * an issue with its path; the retention ≥ interval rule is checked even next to other problems.
 */
export function monitoringConfigSchema(options: ParseOptions = {}) {
  return z
    .strictObject(
      {
        serviceName: z
          .string({ error: 'must be a string' })
          .trim()
          .min(1, 'must not be empty')
          .default(DEFAULT_SERVICE_NAME),
        checkInterval: seconds().max(86_400, 'must be at most 86400 seconds (a day)').default(DEFAULT_CHECK_INTERVAL),
        metricsRetention: seconds().default(DEFAULT_METRICS_RETENTION),
        errorThreshold: thresholdSchema('ratio', DEFAULT_LEVELS.errorRate, true),
        responseTimeThreshold: thresholdSchema('seconds', DEFAULT_LEVELS.responseTime, true),
        resourceThresholds: resourceSchema,
        anomaly: anomalySchema,
        alerts: alertsSchema(options),
        checks: checksSchema,
        http: httpSchema,
        statusServer: statusServerSchema,
        startupMessage: z.boolean({ error: 'must be true or false' }).default(true),
        store: storeSchema,
        slos: slosSchema,
        reader: z.unknown().optional(),
        loggerProvider: z.unknown().optional(),
        meterProvider: z.unknown().optional(),
        // A parsed configuration parses again: its plan is recomputed from `alerts`.
        alertsPlan: z.unknown().optional(),
      },
      { error: (issue) => (issue.code === 'invalid_type' ? 'the options must be an object' : undefined) },
    )
    .refine((c) => !(positive(c.metricsRetention) && positive(c.checkInterval) && c.metricsRetention < c.checkInterval), {
      path: ['metricsRetention'],
      error: (issue) => {
        const c = issue.input as { checkInterval: number; metricsRetention: number };
        return `must be ≥ checkInterval (${c.checkInterval} s), or no history is kept (got ${c.metricsRetention})`;
      },
      // Also when other fields failed (zod skips refinements then by default): every bad field in one go.
      when: (payload) => {
        const c = payload.value as { checkInterval?: unknown; metricsRetention?: unknown } | undefined;
        return positive(c?.checkInterval) && positive(c?.metricsRetention);
      },
    })
    .check(
      everyTime<{ checkInterval?: unknown; slos?: unknown }>((c, ctx) => {
        // The alert windows scale with an objective's window; a window shorter than one check
        // could not be judged at all.
        if (typeof c !== 'object' || c === null || !positive(c.checkInterval) || !Array.isArray(c.slos)) return;
        const interval = c.checkInterval;
        c.slos.forEach((slo: { window?: unknown } | undefined, i) => {
          const window = slo?.window;
          if (typeof window === 'number' && window > 0 && window < interval) {
            ctx.addIssue({
              code: 'custom',
              path: ['slos', i, 'window'],
              message: `must be ≥ checkInterval (${interval} s): a window shorter than one check cannot be judged (got ${window})`,
              input: window,
            });
          }
        });
      }),
    )
    .transform((c): MonitoringConfig => {
      const timeout = Math.min(DEFAULT_CHECK_TIMEOUT, c.checkInterval);
      return {
        serviceName: c.serviceName,
        checkInterval: c.checkInterval,
        metricsRetention: c.metricsRetention,
        errorThreshold: c.errorThreshold,
        responseTimeThreshold: c.responseTimeThreshold,
        resourceThresholds: c.resourceThresholds,
        anomaly: c.anomaly,
        alerts: { ...c.alerts.written, cooldown: c.alerts.plan.settings.cooldown },
        alertsPlan: c.alerts.plan,
        checks: Object.entries(c.checks ?? {}).map(([name, entry]) => ({
          name: name.trim(),
          check: entry.check,
          timeout: entry.timeout ?? timeout,
          level: entry.level ?? MonitoringLevel.ERROR,
          for: entry.for ?? DEFAULT_FOR,
        })),
        http: c.http,
        ...(c.statusServer ? { statusServer: c.statusServer } : {}),
        ...(c.store ? { store: c.store } : {}),
        startupMessage: c.startupMessage,
        slos: c.slos,
      };
    });
}
