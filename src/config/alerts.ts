/**
 * The `alerts` section of the configuration: its schema (part of the one MonitoringConfig
 * schema in schema.ts), its defaults (ALERT_DEFAULTS), and the plan the alert pipeline is built
 * from (AlertsPlan: every default applied, routes named, sinks checked and their header values
 * read from the environment). Times in seconds.
 *
 * `config.alerts` keeps the section as written (validated), so a parsed configuration parses
 * again to the same thing; `config.alertsPlan` is what the pipeline takes.
 */
import { z } from 'zod';
import { MonitoringLevel } from '../model/index.js';
import { checkWebhookUrl } from './webhook-url.js';

/** A level as written in a matcher: `MonitoringLevel.CRITICAL` or `'CRITICAL'`. */
export type LevelName = MonitoringLevel | `${MonitoringLevel}`;

/**
 * Which alerts a route, inhibition rule or silence applies to (alerts/matchers.ts matches them).
 * Every field given must match; a list matches any of its values; a string ending in `*`
 * matches by prefix (`check:*`).
 */
export interface AlertMatcherConfig {
  level?: LevelName | LevelName[];
  service?: string | string[];
  rule?: string | string[];
  state?: 'firing' | 'resolved';
  attributes?: Record<string, string | number | boolean>;
}

export interface InhibitRuleConfig {
  source: AlertMatcherConfig;
  target: AlertMatcherConfig;
}

/** A route of the plan: named (`route-<i>` when not), with its sinks listed. */
export interface RoutePlan {
  name: string;
  match: AlertMatcherConfig;
  sinks: string[];
  continue: boolean;
}

/** A callback sink's function; it is given the pipeline's Notification (alerts/stage.ts). */
export type CallbackFn = (notification: any) => unknown;

export interface WebhookConfig {
  type: 'webhook';
  url: string;
  /** As written: a value, or `{ env: 'VARIABLE' }`. */
  headers: Record<string, string | { env: string }>;
  /** Seconds per attempt. */
  timeout: number;
  retries: number;
  /** Seconds, first backoff (exponential, with jitter). */
  backoff: number;
  maxBackoff: number;
  maxRetryAfter: number;
  queueSize: number;
  allowHttp: boolean;
}

/**
 * An Alertmanager sink (alerts/sinks/alertmanager.ts): posts alerts to Alertmanager's
 * `/api/v2/alerts`, every member of a cluster getting every alert, as Prometheus does.
 */
export interface AlertmanagerConfig {
  type: 'alertmanager';
  /**
   * The members' alerts endpoints: each URL as written, with `/api/v2/alerts` added to its path
   * unless it ends so already (`http://am:9093` → `http://am:9093/api/v2/alerts`).
   */
  url: string[];
  /**
   * The `instance` label: false (default) leaves it out, so the same alert from every replica is
   * one alert in Alertmanager; true is this host's name; a string is the value itself.
   */
  instance: boolean | string;
  /** Extra labels on every alert (e.g. `{ env: 'prod', cluster: 'eu-1' }`). */
  labels: Record<string, string>;
  /** The alerts' `generatorURL`; default the status page when it listens. */
  generatorURL?: string;
  /** As written: a value, or `{ env: 'VARIABLE' }`. */
  headers: Record<string, string | { env: string }>;
  /**
   * Seconds between re-sends of a firing alert (Prometheus' resend delay, 1m): each carries
   * `endsAt` 4 × this ahead, so Alertmanager resolves an alert nobody re-sends.
   */
  resendDelay: number;
  /** Seconds per attempt (Prometheus' default: 10). */
  timeout: number;
  retries: number;
  /** Seconds, first backoff (exponential, with jitter). */
  backoff: number;
  maxBackoff: number;
  maxRetryAfter: number;
  /** Alerts waiting per member; a newer state of a waiting alert replaces it. */
  queueSize: number;
  /** Alerts per request at most. */
  maxBatch: number;
}

/** A sink definition with every default applied. */
export type SinkConfig =
  | WebhookConfig
  | AlertmanagerConfig
  | { type: 'console' }
  | { type: 'otel-log' }
  | { type: 'callback'; fn: CallbackFn; maxInFlight: number };

/** The plan's sinks: a webhook's headers also resolved (`{ env }` read from the environment). */
export type SinkPlan = SinkConfig & { resolvedHeaders?: Record<string, string> };

/** The alert pipeline's numeric settings, every default applied. */
export interface AlertsSettings {
  cooldown: number;
  flapThreshold: number;
  repeatInterval: number;
  groupWait: number;
  groupInterval: number;
  maxAlertsPerNotification: number;
}

/** The validated alerts configuration the pipeline is built from. */
export interface AlertsPlan {
  settings: AlertsSettings;
  routes: RoutePlan[];
  defaultSinks: string[];
  inhibit: InhibitRuleConfig[];
  /** Sink definitions (the built-in `otel-log` and `console` included) with header values resolved. */
  sinks: Map<string, SinkPlan>;
}

const DEFAULT_INHIBIT_RULES: readonly InhibitRuleConfig[] = [
  // A CRITICAL on a service suppresses its WARNINGs.
  { source: { level: MonitoringLevel.CRITICAL }, target: { level: MonitoringLevel.WARNING } },
  // A failing dependency check suppresses that service's error rate and response time alerts.
  { source: { rule: 'check:*' }, target: { rule: ['error_rate', 'response_time'] } },
];

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
  /** Inhibition rules when `inhibit` is not given (`false`: none; a list replaces these). */
  inhibit: DEFAULT_INHIBIT_RULES,
  webhook: { timeout: 5, retries: 3, backoff: 1, maxBackoff: 30, maxRetryAfter: 60, queueSize: 100 },
  /** Alertmanager sink: Prometheus' resend delay (1m), its notifier's timeout (10 s) and batch size. */
  alertmanager: { resendDelay: 60, timeout: 10, retries: 3, backoff: 1, maxBackoff: 30, maxRetryAfter: 60, queueSize: 1000, maxBatch: 64 },
  /** Callback sink: calls running at once at most; more are dropped and counted. */
  callbackMaxInFlight: 100,
} as const;

// ---------------------------------------------------------------------------------------------
// The schema: validates the section as written (no defaults; the plan applies them).

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

/** A matcher (routes, inhibition rules, silences). */
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
    match: matcherSchema.optional(),
    sink: name.optional(),
    sinks: z.array(name).optional(),
    continue: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { match, sink | sinks, continue }' : undefined) },
);

const headerValue = z.union([z.string(), z.strictObject({ env: name })], {
  error: 'must be a string or { env: "VARIABLE" } (prefer env: header values are secrets)',
});

const webhookSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.string({ error: 'must be a URL' }),
  headers: z.record(z.string(), headerValue).optional(),
  timeout: positiveSeconds().optional(),
  retries: count(0).optional(),
  backoff: positiveSeconds().optional(),
  maxBackoff: positiveSeconds().optional(),
  maxRetryAfter: positiveSeconds().optional(),
  queueSize: count(1).optional(),
  allowHttp: z.boolean({ error: 'must be true or false' }).optional(),
});

/** Prometheus' label name rule. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Labels the sink sets itself: `labels` may not set them. */
export const ALERTMANAGER_OWN_LABELS = ['alertname', 'service', 'rule', 'severity', 'instance'] as const;

const alertmanagerSchema = z.strictObject({
  type: z.literal('alertmanager'),
  url: z
    .union([z.string(), z.array(z.string()).min(1, 'must list at least one Alertmanager URL')], {
      error: 'must be a URL or a list of URLs (every member of an Alertmanager cluster)',
    })
    .superRefine((url, ctx) => {
      // Checked here, not in the plan, so a bad URL is listed with every other bad field.
      const seen = new Set<string>();
      (typeof url === 'string' ? [url] : url).forEach((one, i) => {
        const path = typeof url === 'string' ? [] : [i];
        try {
          const endpoint = alertmanagerEndpoint(one);
          // The same member twice would get every alert twice: say so rather than guess.
          if (seen.has(endpoint)) ctx.addIssue({ code: 'custom', path, message: 'lists the same Alertmanager twice', input: one });
          seen.add(endpoint);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path, message: (error as Error).message, input: one });
        }
      });
    }),
  instance: z
    .union([z.boolean(), z.string().min(1, 'must be a non-empty label value')], {
      error: "must be false (default: one alert for all replicas), true (this host's name) or a non-empty label value",
    })
    .optional(),
  labels: z
    .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of label values' })
    .superRefine((labels, ctx) => {
      for (const key of Object.keys(labels)) {
        if (!LABEL_NAME.test(key) || key.startsWith('__')) ctx.addIssue({ code: 'custom', path: [key], message: 'must be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)', input: key });
        else if ((ALERTMANAGER_OWN_LABELS as readonly string[]).includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `is set by the sink (${ALERTMANAGER_OWN_LABELS.join(', ')}; instance through the instance setting)`, input: key });
      }
    })
    .optional(),
  generatorURL: z
    .string({ error: 'must be a URL' })
    .refine(isHttpUrl, 'must be an absolute http or https URL')
    .optional(),
  headers: z.record(z.string(), headerValue).optional(),
  resendDelay: positiveSeconds().optional(),
  timeout: positiveSeconds().optional(),
  retries: count(0).optional(),
  backoff: positiveSeconds().optional(),
  maxBackoff: positiveSeconds().optional(),
  maxRetryAfter: positiveSeconds().optional(),
  queueSize: count(1).optional(),
  maxBatch: count(1).optional(),
});

function isHttpUrl(url: string): boolean {
  try {
    return /^https?:$/.test(new URL(url).protocol);
  } catch {
    return false;
  }
}

/**
 * An Alertmanager member's alerts endpoint from a URL as written; throws an Error (a ConfigError
 * issue at parse) when it cannot be used. http is allowed (Alertmanager's own default, usually
 * inside the cluster); credentials belong in headers, never in the URL (it is reported).
 */
export function alertmanagerEndpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('must be an absolute URL (http://alertmanager:9093)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be an http or https URL');
  if (parsed.username !== '' || parsed.password !== '') throw new Error('must not hold credentials: put them in headers from environment variables');
  if (parsed.search !== '' || parsed.hash !== '') throw new Error('must have no query or fragment (the sink posts to <url>/api/v2/alerts)');
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/api/v2/alerts') ? path : `${path}/api/v2/alerts`;
  return parsed.href;
}

const sinkSchema = z.discriminatedUnion(
  'type',
  [
    webhookSchema,
    alertmanagerSchema,
    z.strictObject({ type: z.literal('console') }),
    z.strictObject({ type: z.literal('otel-log') }),
    z.strictObject({
      type: z.literal('callback'),
      fn: z.custom<CallbackFn>((v) => typeof v === 'function', { error: 'must be a function (notification) => unknown' }),
      maxInFlight: count(1).optional(),
    }),
  ],
  { error: 'must be an object with type webhook, alertmanager, console, otel-log or callback' },
);

const inhibitSchema = z.strictObject({ source: matcherSchema, target: matcherSchema });

/** The section as written, validated field by field. */
const alertsInputSchema = z.strictObject(
  {
    cooldown: seconds().optional(),
    flapThreshold: count(0).optional(),
    repeatInterval: seconds().optional(),
    groupWait: seconds().optional(),
    groupInterval: seconds().optional(),
    maxAlertsPerNotification: count(1).optional(),
    /** false: no inhibition; a list replaces the defaults. */
    inhibit: z.union([z.literal(false), z.array(inhibitSchema)], { error: 'must be false or a list of { source, target }' }).optional(),
    routes: z.array(routeSchema, { error: 'must be a list of routes' }).optional(),
    defaultRoute: z.strictObject({ sinks: z.array(name).min(1, 'must name at least one sink') }).optional(),
    sinks: z.record(name, sinkSchema, { error: 'must be an object { name: { type, … } }' }).optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object { cooldown, routes, sinks, … }' : undefined) },
);

/** The `alerts` section as a user writes it. */
export type AlertsInput = z.input<typeof alertsInputSchema>;

/** What the plan needs from outside the section. */
export interface AlertsPlanOptions {
  /** Where `{ env: 'VARIABLE' }` header values are read. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Names of sinks given as objects to the monitor (routes may name them). */
  sinks?: readonly string[];
}

type Written = z.output<typeof alertsInputSchema>;
type AddIssue = (path: ReadonlyArray<string | number>, message: string) => void;

/** `written` with `defaults` under it: a field written (not undefined) wins. */
function withDefaults<D extends object, W extends object>(defaults: D, written: W): D & W {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(written)) if (value !== undefined) out[key] = value;
  return out as D & W;
}

const BUILT_IN_SINKS: ReadonlyArray<[string, SinkConfig]> = [
  ['otel-log', { type: 'otel-log' }],
  ['console', { type: 'console' }],
];

/** Header values with `{ env }` read from the environment: a missing variable is named, its value never. */
function resolveHeaders(
  sinkName: string,
  headers: Record<string, string | { env: string }>,
  env: Readonly<Record<string, string | undefined>>,
  addIssue: AddIssue,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (typeof value === 'string') resolved[header] = value;
    else if (env[value.env] === undefined || env[value.env] === '') addIssue(['sinks', sinkName, 'headers', header], `environment variable ${value.env} is not set`);
    else resolved[header] = env[value.env]!;
  }
  return resolved;
}

type WrittenAlertmanager = z.output<typeof alertmanagerSchema>;

/** An Alertmanager sink's plan: defaults applied, each URL made its member's alerts endpoint. */
function alertmanagerPlan(
  sinkName: string,
  written: WrittenAlertmanager,
  env: Readonly<Record<string, string | undefined>>,
  addIssue: AddIssue,
): SinkPlan {
  // The schema checked every URL: here each only becomes its member's endpoint.
  const endpoints = (typeof written.url === 'string' ? [written.url] : written.url).map(alertmanagerEndpoint);
  const config = withDefaults(
    { ...ALERT_DEFAULTS.alertmanager, instance: false, labels: {}, headers: {} },
    { ...written, url: endpoints },
  ) as AlertmanagerConfig;
  return { ...config, resolvedHeaders: resolveHeaders(sinkName, config.headers, env, addIssue) };
}

/**
 * The plan from a section that passed the schema; cross-field problems go to `addIssue` with
 * paths inside the section (`routes.0.sinks`, `sinks.pager.url`). Header values are read from
 * the environment: a missing variable is named, its value never.
 */
function planOf(written: Written, options: AlertsPlanOptions, addIssue: AddIssue): AlertsPlan {
  const env = options.env ?? process.env;
  const extraSinks = options.sinks ?? [];
  const settings: AlertsSettings = {
    cooldown: written.cooldown ?? ALERT_DEFAULTS.cooldown,
    flapThreshold: written.flapThreshold ?? ALERT_DEFAULTS.flapThreshold,
    repeatInterval: written.repeatInterval ?? ALERT_DEFAULTS.repeatInterval,
    groupWait: written.groupWait ?? ALERT_DEFAULTS.groupWait,
    groupInterval: written.groupInterval ?? ALERT_DEFAULTS.groupInterval,
    maxAlertsPerNotification: written.maxAlertsPerNotification ?? ALERT_DEFAULTS.maxAlertsPerNotification,
  };
  const sinks = new Map<string, SinkPlan>(BUILT_IN_SINKS);
  for (const [sinkName, sink] of Object.entries(written.sinks ?? {})) {
    if (sink.type === 'callback') {
      sinks.set(sinkName, { type: 'callback', fn: sink.fn, maxInFlight: sink.maxInFlight ?? ALERT_DEFAULTS.callbackMaxInFlight });
      continue;
    }
    if (sink.type === 'alertmanager') {
      sinks.set(sinkName, alertmanagerPlan(sinkName, sink, env, addIssue));
      continue;
    }
    if (sink.type !== 'webhook') {
      sinks.set(sinkName, sink);
      continue;
    }
    const webhook: WebhookConfig = withDefaults({ ...ALERT_DEFAULTS.webhook, headers: {}, allowHttp: false }, sink) as WebhookConfig;
    try {
      checkWebhookUrl(webhook.url, webhook.allowHttp);
    } catch (error) {
      addIssue(['sinks', sinkName, 'url'], (error as Error).message);
    }
    sinks.set(sinkName, { ...webhook, resolvedHeaders: resolveHeaders(sinkName, webhook.headers, env, addIssue) });
  }
  const known = (sink: string): boolean => sinks.has(sink) || extraSinks.includes(sink);
  const routes: RoutePlan[] = [];
  const names = new Set<string>();
  (written.routes ?? []).forEach((route, i) => {
    const list = [...(route.sink !== undefined ? [route.sink] : []), ...(route.sinks ?? [])];
    if (list.length === 0) addIssue(['routes', i], 'must name a sink (sink) or sinks (sinks)');
    for (const sink of list) if (!known(sink)) addIssue(['routes', i, route.sink === sink ? 'sink' : 'sinks'], `unknown sink "${sink}" (define it under alerts.sinks)`);
    const routeName = route.name ?? `route-${i}`;
    if (names.has(routeName) || routeName === 'default') addIssue(['routes', i, 'name'], `duplicate route name "${routeName}"`);
    names.add(routeName);
    routes.push({ name: routeName, match: (route.match ?? {}) as AlertMatcherConfig, sinks: list, continue: route.continue ?? false });
  });
  const defaultSinks = written.defaultRoute?.sinks ?? [...ALERT_DEFAULTS.defaultSinks];
  for (const sink of defaultSinks) if (!known(sink)) addIssue(['defaultRoute', 'sinks'], `unknown sink "${sink}"`);
  const inhibit = written.inhibit === false ? [] : ((written.inhibit as InhibitRuleConfig[] | undefined) ?? [...ALERT_DEFAULTS.inhibit]);
  return { settings, routes, defaultSinks, inhibit, sinks };
}

/**
 * The `alerts` section's schema: the section as written, validated, and its plan. The plan's
 * checks (webhook URLs, header variables, sink names) run once the section's fields are valid.
 */
export function alertsSchema(options: AlertsPlanOptions = {}) {
  return alertsInputSchema
    .transform((written, ctx) => {
      const plan = planOf(written, options, (path, message) => ctx.addIssue({ code: 'custom', path: [...path], message, input: undefined }));
      return { written: written as AlertsInput, plan };
    })
    .prefault({});
}
