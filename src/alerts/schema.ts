/**
 * The `alerts` section of the configuration, validated here (config/schema.ts passes the
 * section's unknown keys through). Times in seconds. Every default is in ALERT_DEFAULTS.
 */
import { z } from 'zod';
import type { ConfigIssue } from '../model/index.js';
import { MonitoringLevel } from '../model/index.js';
import type { Notification } from './stage.js';

export const ALERT_DEFAULTS = {
  /**
   * Seconds: the flap window. An alert (fingerprint) that changes `flapThreshold` times within
   * it is flapping (one `flapping` notification instead of each change); quiet for it, it has
   * settled. It never holds back a new incident.
   */
  cooldown: 300,
  /** Changes of one alert within `cooldown` that make it flapping (0: no flap detection). */
  flapThreshold: 5,
  /** Seconds between re-sends of a still-firing alert (0: never). Alertmanager's default. */
  repeatInterval: 4 * 3600,
  /** Seconds a new group waits for more transitions (0: each check's transitions go out at once). */
  groupWait: 0,
  /** Seconds between notifications of one group (0: no wait). */
  groupInterval: 0,
  /** Transitions listed per notification; the rest are counted in `omitted`. */
  maxAlertsPerNotification: 1000,
  /** Sinks of the default route. */
  defaultSinks: ['otel-log'],
  webhook: { timeout: 5, retries: 3, backoff: 1, maxBackoff: 30, maxRetryAfter: 60, queueSize: 100 },
  /** Callback sink: calls running at once at most; more are dropped and counted. */
  callbackMaxInFlight: 100,
} as const;

const num = (what = 'a number') => z.number({ error: `must be ${what}` });
const seconds = () => num('a number of seconds').min(0, 'must be ≥ 0 seconds');
const positiveSeconds = () => num('a number of seconds').positive('must be > 0 seconds');
const count = (min: number) => num('a whole number').int('must be a whole number').min(min, `must be ≥ ${min}`);
const name = z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string');
const pattern = z.union([name, z.array(name).min(1, 'must list at least one value')], {
  error: 'must be a string or a list of strings (`*` at the end matches a prefix)',
});
const levels = Object.values(MonitoringLevel) as [string, ...string[]];
const level = z.enum(levels, { error: `must be one of ${levels.join(', ')}` });

export const matcherSchema = z.strictObject(
  {
    level: z.union([level, z.array(level).min(1, 'must list at least one level')], { error: `must be a level (${levels.join(', ')}) or a list of them` }).optional(),
    service: pattern.optional(),
    rule: pattern.optional(),
    state: z.enum(['firing', 'resolved'], { error: 'must be firing or resolved' }).optional(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]), { error: 'must be an object of attribute values' }).optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { level, service, rule, state, attributes }' : undefined) },
);

const routeSchema = z.strictObject(
  {
    name: name.optional(),
    match: matcherSchema.default({}),
    sink: name.optional(),
    sinks: z.array(name).optional(),
    continue: z.boolean({ error: 'must be true or false' }).default(false),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { match, sink | sinks, continue }' : undefined) },
);

const headerValue = z.union([z.string(), z.strictObject({ env: name })], {
  error: 'must be a string or { env: "VARIABLE" } (prefer env: header values are secrets)',
});

const webhookSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.string({ error: 'must be a URL' }),
  headers: z.record(z.string(), headerValue).default({}),
  timeout: positiveSeconds().default(ALERT_DEFAULTS.webhook.timeout),
  retries: count(0).default(ALERT_DEFAULTS.webhook.retries),
  backoff: positiveSeconds().default(ALERT_DEFAULTS.webhook.backoff),
  maxBackoff: positiveSeconds().default(ALERT_DEFAULTS.webhook.maxBackoff),
  maxRetryAfter: positiveSeconds().default(ALERT_DEFAULTS.webhook.maxRetryAfter),
  queueSize: count(1).default(ALERT_DEFAULTS.webhook.queueSize),
  allowHttp: z.boolean({ error: 'must be true or false' }).default(false),
});

export type CallbackFn = (notification: Notification) => unknown;

const sinkSchema = z.discriminatedUnion(
  'type',
  [
    webhookSchema,
    z.strictObject({ type: z.literal('console') }),
    z.strictObject({ type: z.literal('otel-log') }),
    z.strictObject({
      type: z.literal('callback'),
      fn: z.custom<CallbackFn>((v) => typeof v === 'function', { error: 'must be a function (notification) => unknown' }),
      maxInFlight: count(1).default(ALERT_DEFAULTS.callbackMaxInFlight),
    }),
  ],
  { error: 'must be an object with type webhook, console, otel-log or callback' },
);

const inhibitSchema = z.strictObject({ source: matcherSchema, target: matcherSchema });

export const alertsSchema = z.strictObject(
  {
    cooldown: seconds().default(ALERT_DEFAULTS.cooldown),
    flapThreshold: count(0).default(ALERT_DEFAULTS.flapThreshold),
    repeatInterval: seconds().default(ALERT_DEFAULTS.repeatInterval),
    groupWait: seconds().default(ALERT_DEFAULTS.groupWait),
    groupInterval: seconds().default(ALERT_DEFAULTS.groupInterval),
    maxAlertsPerNotification: count(1).default(ALERT_DEFAULTS.maxAlertsPerNotification),
    /** false: no inhibition; a list replaces the defaults. */
    inhibit: z.union([z.literal(false), z.array(inhibitSchema)], { error: 'must be false or a list of { source, target }' }).optional(),
    routes: z.array(routeSchema, { error: 'must be a list of routes' }).default([]),
    defaultRoute: z.strictObject({ sinks: z.array(name).min(1, 'must name at least one sink') }).optional(),
    sinks: z.record(name, sinkSchema, { error: 'must be an object { name: { type, … } }' }).default({}),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { cooldown, routes, sinks, … }' : undefined) },
);

export type AlertsInput = z.input<typeof alertsSchema>;
export type AlertsSettings = z.output<typeof alertsSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;

/** zod issues as ConfigIssues under `prefix`. */
export function issuesOf(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    return { path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'), message };
  });
}
