/**
 * The `slos` option: service level objectives, each judged in process by burn-rate alerts
 * `slo:<name>` (evaluator/slo/) and written as Prometheus rules by `otel-health rules`.
 *
 *   slos: [
 *     { name: 'availability', objective: 0.999 },                        // 30 days, availability
 *     { name: 'checkout-latency', objective: 0.99, window: 7 * 86_400,
 *       indicator: { latency: { threshold: 0.3 } }, route: '/checkout' },
 *   ]
 *
 * `objective` is a ratio (0.999 for 99.9 %); `window` and `threshold` are seconds, like every
 * other duration of the configuration. The alert windows scale with the objective's window
 * (those of the SRE Workbook for 30 days; see SLO_ALERT_WINDOWS), so a window must be at least
 * the check interval (checked in schema.ts, beside it).
 */
import { z } from 'zod';
import { LEVEL_NAMES, MonitoringLevel, SLO_ALERTS, type SloAlertName } from '../model/index.js';

/** The objective's window when none is given: 30 days, in seconds. */
export const DEFAULT_SLO_WINDOW = 30 * 86_400;

/** What counts as a good event. */
export type SloIndicator = { kind: 'availability' } | { kind: 'latency'; threshold: number };

/** A level per burn-rate alert, or false to leave that alert out. */
export type SloAlertLevels = Record<SloAlertName, MonitoringLevel.WARNING | MonitoringLevel.ERROR | MonitoringLevel.CRITICAL | false>;

/** The workbook's split: the two page alerts page (CRITICAL, ERROR), the slow burn opens a ticket (WARNING). */
export const DEFAULT_SLO_LEVELS: Readonly<SloAlertLevels> = Object.freeze({
  fast: MonitoringLevel.CRITICAL,
  slow: MonitoringLevel.ERROR,
  ticket: MonitoringLevel.WARNING,
});

/** One objective after parsing. */
export interface SloConfig {
  /** Unique; the alert is `slo:<name>`. Letters, digits, `_`, `.`, `-`. */
  name: string;
  /** Good events / all events, in (0, 1): 0.999 for 99.9 %. */
  objective: number;
  /** Seconds. Default 30 days. */
  window: number;
  /** Default availability. */
  indicator: SloIndicator;
  /** Only this service's events (`service.name`). Default: the monitored service. */
  service?: string;
  /** Only HTTP requests of this route template (`http.route`) count. Default: every request and operation. */
  route?: string;
  /** Level of each burn-rate alert. Default: fast CRITICAL, slow ERROR, ticket WARNING. */
  levels: SloAlertLevels;
}

/** One objective as written. */
export interface SloInput {
  name: string;
  objective: number;
  window?: number;
  indicator?: 'availability' | { availability: Record<string, never> } | { latency: { threshold: number } };
  service?: string;
  route?: string;
  levels?: Partial<Record<SloAlertName, 'warning' | 'error' | 'critical' | MonitoringLevel | false>>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const alertLevel = z.preprocess(
  (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  z.union(
    [
      z.literal(false),
      z.enum([MonitoringLevel.WARNING, MonitoringLevel.ERROR, MonitoringLevel.CRITICAL] as const),
    ],
    { error: `must be one of ${LEVEL_NAMES.join(', ')} or false (alert off)` },
  ),
);

const INDICATOR_MESSAGE = "must be 'availability' or { latency: { threshold } } (threshold in seconds)";

const indicatorSchema = z.preprocess(
  (v) => (v === undefined || v === 'availability' ? { availability: {} } : v),
  z
    .strictObject(
      {
        availability: z.strictObject({}, { error: INDICATOR_MESSAGE }).optional(),
        latency: z
          .strictObject(
            {
              threshold: z
                .number({ error: 'must be a number of seconds (0.3 for 300 ms)' })
                .positive('must be > 0 seconds')
                .refine(Number.isFinite, 'must be a finite number of seconds'),
            },
            { error: 'must be { threshold } (seconds)' },
          )
          .optional(),
      },
      { error: INDICATOR_MESSAGE },
    )
    .refine((i) => (i.availability === undefined) !== (i.latency === undefined), INDICATOR_MESSAGE)
    .transform((i): SloIndicator => (i.latency !== undefined ? { kind: 'latency', threshold: i.latency.threshold } : { kind: 'availability' })),
);

const sloSchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'must be a string' })
        .max(100, 'must be at most 100 characters')
        .regex(NAME, 'must start with a letter or digit and hold only letters, digits, _ . -'),
      objective: z
        .number({ error: 'must be a ratio of good events, e.g. 0.999 for 99.9 %' })
        .gt(0, 'must be above 0 (a ratio of good events, e.g. 0.999 for 99.9 %)')
        .lt(1, 'must be below 1: an objective of 100 % leaves no error budget (every failure would page), and a percentage like 99.9 must be written 0.999'),
      window: z
        .number({ error: 'must be a number of seconds (2592000 for 30 days)' })
        .positive('must be > 0 seconds')
        .refine(Number.isFinite, 'must be a finite number of seconds')
        .default(DEFAULT_SLO_WINDOW),
      indicator: indicatorSchema,
      service: z.string({ error: 'must be a service name (a string)' }).trim().min(1, 'must not be empty').optional(),
      route: z.string({ error: 'must be a route template (a string), e.g. /users/:id' }).min(1, 'must not be empty').optional(),
      levels: z
        .strictObject(
          { fast: alertLevel.optional(), slow: alertLevel.optional(), ticket: alertLevel.optional() },
          { error: 'must be an object { fast, slow, ticket } of levels (or false)' },
        )
        .optional(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'each objective must be an object { name, objective, window?, indicator? }' : undefined) },
  )
  .transform((s): SloConfig => {
    const levels = { ...DEFAULT_SLO_LEVELS };
    for (const alert of SLO_ALERTS) {
      const written = s.levels?.[alert];
      if (written !== undefined) levels[alert] = written;
    }
    const slo: SloConfig = { name: s.name, objective: s.objective, window: s.window, indicator: s.indicator, levels };
    if (s.service !== undefined) slo.service = s.service;
    if (s.route !== undefined) slo.route = s.route;
    return slo;
  });

/** `slos`: a list of objectives with unique names (default none). */
export const slosSchema = z
  .array(sloSchema, { error: 'must be a list of objectives [{ name, objective, window?, indicator? }]' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((slo, i) => {
      if (seen.has(slo.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate objective name "${slo.name}"`, input: slo.name });
      seen.add(slo.name);
    });
  })
  .default(() => []);

/**
 * The SRE Workbook's multi-window, multi-burn-rate alerts ("Alerting on SLOs", table 5-8) for a
 * 30-day window: page when 2 % of the error budget burns within 1 h (confirmed over 5 min),
 * page when 5 % burns within 6 h (confirmed over 30 min), open a ticket when 10 % burns within
 * 3 days (confirmed over 6 h). `budget` is the share of the budget, `long` and `short` the
 * windows in seconds for 30 days.
 */
export const SLO_ALERT_WINDOWS: Readonly<Record<SloAlertName, { budget: number; long: number; short: number }>> = Object.freeze({
  fast: { budget: 0.02, long: 3_600, short: 300 },
  slow: { budget: 0.05, long: 21_600, short: 1_800 },
  ticket: { budget: 0.1, long: 259_200, short: 21_600 },
});

/** One burn-rate alert of an objective, its windows scaled to the objective's window. */
export interface SloAlertWindow {
  alert: SloAlertName;
  level: MonitoringLevel.WARNING | MonitoringLevel.ERROR | MonitoringLevel.CRITICAL;
  /** Budget share × window / long window: 14.4, 6 and 1, whatever the window (both scale together). */
  burnRate: number;
  /** Seconds. */
  longWindow: number;
  /** Seconds. */
  shortWindow: number;
}

/**
 * The burn-rate alerts an objective has (those not turned off), fastest first. The workbook's
 * windows are for 30 days; another window scales them by window / 30 days, as Pyrra does, so each
 * alert still means "this share of the budget burned in this share of the window" (a 7-day
 * objective pages on 2 % of its budget in 14 min). Shared by the in-process evaluator and the
 * Prometheus rules, so both judge the same windows.
 */
export function sloAlertWindows(slo: Pick<SloConfig, 'window' | 'levels'>): SloAlertWindow[] {
  const scale = slo.window / DEFAULT_SLO_WINDOW;
  const out: SloAlertWindow[] = [];
  for (const alert of SLO_ALERTS) {
    const level = slo.levels[alert];
    if (level === false) continue;
    const w = SLO_ALERT_WINDOWS[alert];
    out.push({
      alert,
      level,
      burnRate: Math.round((w.budget * DEFAULT_SLO_WINDOW) / w.long * 1e9) / 1e9,
      longWindow: w.long * scale,
      shortWindow: w.short * scale,
    });
  }
  return out;
}
