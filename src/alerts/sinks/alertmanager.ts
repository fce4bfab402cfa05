/**
 * Alertmanager sink: hands alerts to Alertmanager's API (`POST /api/v2/alerts`), as Prometheus,
 * Grafana and the Loki and Thanos rulers do, and lets Alertmanager notify. With `instance` off
 * (the default) the same alert from every replica of a service has the same labels, so
 * Alertmanager merges them into one alert and sends one notification for twenty replicas; its
 * silences, inhibition, routes and clustering apply.
 *
 * How it talks to Alertmanager, after Prometheus' rule manager and notifier:
 * - A firing alert is posted at once, then re-posted every `resendDelay` (default 1m, Prometheus'
 *   resend delay) for as long as it fires, each time with `endsAt` = now + 4 × resendDelay.
 *   Prometheus uses 4 × max(evaluation interval, resend delay) because it re-sends only at
 *   evaluations; this sink re-sends on its own timer, so its re-send period is resendDelay. An
 *   alert nobody re-sends (every replica gone, or Alertmanager restarted and nothing told it
 *   again) resolves in Alertmanager at endsAt instead of firing for ever (resolve_timeout applies
 *   only to alerts without endsAt).
 * - A resolved alert is posted once (with retries) with `endsAt` = when it resolved. Unlike
 *   Prometheus it is not re-posted for 15 minutes: with several replicas behind one label set the
 *   latest post wins in Alertmanager, and a replica that recovered re-posting "resolved" every
 *   minute would resolve an alert the other replicas still fire. A resolve that is lost is
 *   covered by endsAt.
 * - The level is the `severity` label, and labels are an alert's identity: an escalation posts
 *   the lower label set resolved (ending when the level rose) and the higher one firing. A
 *   de-escalation keeps the label set at the incident's highest level (only the annotations say
 *   the level now): an error rate falling back through WARNING on its way to healthy would
 *   otherwise end the CRITICAL alert and page a new WARNING one at every recovery.
 * - Every member of `url` (an Alertmanager cluster) gets every alert, each through its own
 *   queue (alertmanager-member.ts): bounded, counted drops, retries, close semantics of the
 *   webhook sink.
 * - At shutdown nothing is resolved: a replica stopping (a deploy) says nothing about the
 *   incident; its alerts end at their endsAt unless another replica keeps them firing.
 *
 * send() never blocks; nothing here throws into the pipeline. Header values are secrets: only
 * the sink's name and the members' origins are ever reported.
 */
import { hostname } from 'node:os';
import { levelRank, type Alert, type MonitoringLevel } from '../../model/index.js';
import type { SinkConfig } from '../../config/index.js';
import { realScheduler, type Scheduler } from '../clock.js';
import type { Notification, NotifiedTransition, Sink, SinkStats } from '../stage.js';
import { alertAnnotations, alertLabels, alertmanagerAlert, labelKey, type AlertmanagerAlert } from './alertmanager-format.js';
import { AlertmanagerMember, type MemberStats } from './alertmanager-member.js';
import { rateLimited, realSleep } from './http-attempt.js';

/** An Alertmanager sink's settings: the parsed `alertmanager` sink definition, header values resolved. */
export type AlertmanagerOptions = Omit<Extract<SinkConfig, { type: 'alertmanager' }>, 'type' | 'headers'> & {
  /** Resolved header values (secrets: never logged). */
  headers: Record<string, string>;
};

export interface AlertmanagerDeps {
  /** Clocks and the re-send timer. Default: the real ones (unref'd timers). */
  scheduler?: Scheduler;
  /** Wait ms (retries). Default: an unref'd timer. */
  sleep?: (ms: number) => Promise<void>;
  /** 0..1, for jitter. Default Math.random. */
  random?: () => number;
  fetch?: typeof fetch;
  /** Where drops and give-ups are reported. Default: console.warn, at most once a minute. */
  report?: (message: string) => void;
  /** This host's name, for `instance: true`. Default os.hostname(). */
  hostname?: () => string;
}

export interface AlertmanagerStats extends SinkStats {
  /** Alerts delivered, failed, dropped, queued: summed over the members, in alerts (not notifications). */
  retries: number;
  /** Alert label sets firing now: re-sent every resendDelay. */
  firing: number;
  /** Re-sends of the firing alerts so far (each to every member). */
  resends: number;
  abandoned?: number;
  lastError?: string;
  members: MemberStats[];
}

/** An alert this sink told Alertmanager is firing. */
interface FiringAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  /** The level its `severity` label says. */
  level: MonitoringLevel;
}

/** `http://0.0.0.0:8150` is no link for a person: this host's name instead of an any-address. */
export function statusPageLink(url: string, host: () => string = hostname): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]') parsed.hostname = host();
    return parsed.href;
  } catch {
    return undefined;
  }
}

export class AlertmanagerSink implements Sink {
  /** By label key. */
  private readonly firing = new Map<string, FiringAlert>();
  /** otel-health fingerprint → the label key it fires under now (a level change changes it). */
  private readonly keyOf = new Map<string, string>();
  private readonly members: AlertmanagerMember[];
  private readonly closing = new AbortController();
  private readonly scheduler: Scheduler;
  private readonly instance: string | undefined;
  private generatorURL: string | undefined;
  private cancelResend: (() => void) | undefined;
  private resends = 0;

  constructor(
    readonly name: string,
    private readonly options: AlertmanagerOptions,
    deps: AlertmanagerDeps = {},
  ) {
    this.scheduler = deps.scheduler ?? realScheduler();
    const scheduler = this.scheduler;
    this.instance = options.instance === true ? (deps.hostname ?? hostname)() : options.instance === false ? undefined : options.instance;
    this.generatorURL = options.generatorURL;
    const report = deps.report ?? rateLimited((m) => console.warn(m), () => scheduler.monotonic());
    this.members = options.url.map(
      (endpoint) =>
        new AlertmanagerMember(
          { ...options, endpoint },
          {
            now: () => scheduler.now(),
            sleep: deps.sleep ?? realSleep,
            random: deps.random ?? Math.random,
            fetch: deps.fetch ?? globalThis.fetch,
            report,
            closing: this.closing.signal,
            sinkName: name,
          },
        ),
    );
  }

  /**
   * The status page, once it listens (start-up calls this): the alerts' generatorURL unless the
   * configuration gave one.
   */
  setStatusPage(url: string): void {
    if (this.options.generatorURL !== undefined) return;
    const link = statusPageLink(url);
    if (link !== undefined) this.generatorURL = link;
  }

  send(notification: Notification): void {
    if (this.closing.signal.aborted) {
      for (const member of this.members) member.abandon(notification.alerts.length);
      return;
    }
    const out: Array<[string, AlertmanagerAlert]> = [];
    for (const entry of notification.alerts) this.apply(entry, out);
    this.post(out);
  }

  /**
   * Take back alerts that were firing and notified before a restart (the pipeline's restored
   * state): Alertmanager hears of them again now, and they are re-sent as if never interrupted.
   */
  adopt(alerts: readonly Alert[]): void {
    if (this.closing.signal.aborted) return;
    const out: Array<[string, AlertmanagerAlert]> = [];
    for (const alert of alerts) {
      if (alert.state !== 'firing') continue;
      this.apply({ transition: { kind: 'firing', alert, at: alert.startsAt } }, out);
    }
    this.post(out);
  }

  /** One transition: update what fires, and add what Alertmanager must hear to `out`. */
  private apply(entry: NotifiedTransition, out: Array<[string, AlertmanagerAlert]>): void {
    const { alert, at } = entry.transition;
    const annotations = alertAnnotations(entry);
    const previousKey = this.keyOf.get(alert.fingerprint);
    const previous = previousKey === undefined ? undefined : this.firing.get(previousKey);
    if (alert.state === 'resolved') {
      const endsAt = alert.endsAt ?? at;
      if (previousKey !== undefined && previous !== undefined) {
        this.firing.delete(previousKey);
        this.keyOf.delete(alert.fingerprint);
        out.push([previousKey, this.wire({ ...previous, annotations }, endsAt)]);
      } else {
        // Not known to fire here (a restart without the store): end its own label set.
        const labels = this.labelsOf(alert);
        out.push([labelKey(labels), this.wire({ labels, annotations, startsAt: alert.startsAt, level: alert.level }, endsAt)]);
      }
      return;
    }
    let firing: FiringAlert;
    let key: string;
    if (previousKey !== undefined && previous !== undefined && levelRank(alert.level) <= levelRank(previous.level)) {
      // Same level, or lower: the label set keeps the incident's highest level (a recovery that
      // passes through WARNING is no new WARNING page); the annotations say the level now.
      firing = { ...previous, annotations };
      key = previousKey;
    } else {
      firing = { labels: this.labelsOf(alert), annotations, startsAt: alert.startsAt, level: alert.level };
      key = labelKey(firing.labels);
      if (previousKey !== undefined && previous !== undefined && previousKey !== key) {
        // Escalated: the lower label set ends now, the higher one fires.
        this.firing.delete(previousKey);
        out.push([previousKey, this.wire(previous, at)]);
      }
    }
    this.firing.set(key, firing);
    this.keyOf.set(alert.fingerprint, key);
    out.push([key, this.wire(firing, this.validUntil())]);
    this.scheduleResend();
  }

  private labelsOf(alert: Alert): Record<string, string> {
    return alertLabels(alert, { labels: this.options.labels, ...(this.instance !== undefined ? { instance: this.instance } : {}) });
  }

  private wire(alert: FiringAlert, endsAt: number): AlertmanagerAlert {
    return alertmanagerAlert(alert.labels, alert.annotations, alert.startsAt, endsAt, this.generatorURL);
  }

  /** endsAt of a firing alert: 4 re-sends ahead, so three lost in a row do not resolve it. */
  private validUntil(): number {
    return this.scheduler.now() + 4 * this.options.resendDelay * 1000;
  }

  private post(alerts: Array<[string, AlertmanagerAlert]>): void {
    if (alerts.length === 0) return;
    for (const member of this.members) member.enqueue(alerts);
  }

  /** A re-send timer runs while something fires (and only then: an idle sink holds no timer). */
  private scheduleResend(): void {
    if (this.cancelResend !== undefined || this.closing.signal.aborted) return;
    this.cancelResend = this.scheduler.setTimeout(() => {
      this.cancelResend = undefined;
      this.resend();
    }, this.options.resendDelay * 1000);
  }

  private resend(): void {
    if (this.firing.size === 0 || this.closing.signal.aborted) return;
    this.resends++;
    const endsAt = this.validUntil();
    this.post([...this.firing].map(([key, alert]) => [key, this.wire(alert, endsAt)]));
    this.scheduleResend();
  }

  stats(): AlertmanagerStats {
    const members = this.members.map((m) => m.stats());
    const sum = (pick: (m: MemberStats) => number): number => members.reduce((n, m) => n + pick(m), 0);
    const abandoned = sum((m) => m.abandoned ?? 0);
    const lastError = members.find((m) => m.lastError !== undefined)?.lastError;
    return {
      sent: sum((m) => m.sent),
      failed: sum((m) => m.failed),
      dropped: sum((m) => m.dropped),
      queued: sum((m) => m.queued),
      retries: sum((m) => m.retries),
      firing: this.firing.size,
      resends: this.resends,
      ...(abandoned > 0 ? { abandoned } : {}),
      ...(lastError !== undefined ? { lastError } : {}),
      members,
    };
  }

  /** Wait for every member's queue to drain, at most `timeoutMs` (default one attempt's timeout). */
  async flush(timeoutMs = this.options.timeout * 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.members.map((m) => m.idle)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Stop for good (shutdown, after flush): no more re-sends, the attempts in flight aborted, the
   * queues abandoned (counted). Nothing is resolved: the alerts end at their endsAt unless
   * another replica keeps them firing.
   */
  close(): void {
    if (this.closing.signal.aborted) return;
    this.cancelResend?.();
    this.cancelResend = undefined;
    this.closing.abort();
    for (const member of this.members) member.close();
  }
}
