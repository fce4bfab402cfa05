/**
 * Silences: a runtime API to mute notifications of alerts matching some matchers until an
 * expiry time (`monitor.silences.add({ matchers, expiresAt, comment })`). Expired silences are
 * kept for `list({ expired: true })` until pruned an hour after expiry.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../model/index.js';
import { matchesEntry, type AlertMatcher } from './matchers.js';
import { issuesOf, matcherSchema } from '../config/index.js';
import type { Notification, Stage, StageContext } from './stage.js';

export interface SilenceInput {
  matchers: AlertMatcher;
  /** Epoch ms or a Date. */
  expiresAt: number | Date;
  /** Epoch ms or a Date; default now. */
  startsAt?: number | Date;
  comment?: string;
  createdBy?: string;
}

export interface Silence {
  id: string;
  matchers: AlertMatcher;
  startsAt: number;
  expiresAt: number;
  comment?: string;
  createdBy?: string;
  createdAt: number;
}

const KEEP_EXPIRED_MS = 3600_000;

export class Silences {
  private readonly silences = new Map<string, Silence>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Add a silence; a bad input throws a ConfigError naming the field. */
  add(input: SilenceInput): Silence {
    const now = this.now();
    const issues = [];
    const parsed = matcherSchema.safeParse(input?.matchers);
    if (!parsed.success) issues.push(...issuesOf(parsed.error, 'matchers'));
    const time = (v: unknown): number | undefined => (v instanceof Date ? v.getTime() : typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const expiresAt = time(input?.expiresAt);
    const startsAt = input?.startsAt === undefined ? now : time(input.startsAt);
    if (expiresAt === undefined) issues.push({ path: 'expiresAt', message: 'must be a time (epoch ms or Date)' });
    if (startsAt === undefined) issues.push({ path: 'startsAt', message: 'must be a time (epoch ms or Date)' });
    if (expiresAt !== undefined && startsAt !== undefined && expiresAt <= Math.max(now, startsAt)) {
      issues.push({ path: 'expiresAt', message: 'must be in the future and after startsAt' });
    }
    if (parsed.success && Object.keys(parsed.data).length === 0) issues.push({ path: 'matchers', message: 'must name at least one field (a silence of everything is almost always a mistake)' });
    if (issues.length > 0) throw new ConfigError(issues);
    const silence: Silence = { id: randomUUID(), matchers: parsed.data! as AlertMatcher, startsAt: startsAt!, expiresAt: expiresAt!, createdAt: now };
    if (input.comment !== undefined) silence.comment = String(input.comment);
    if (input.createdBy !== undefined) silence.createdBy = String(input.createdBy);
    this.silences.set(silence.id, silence);
    return { ...silence };
  }

  /**
   * Take back silences (a restart on the persisted store): each keeps its id and times; one
   * already known by id, or expired more than an hour ago, is skipped.
   */
  restore(silences: readonly Silence[]): void {
    const now = this.now();
    for (const s of silences) {
      if (typeof s?.id !== 'string' || this.silences.has(s.id) || !(now - s.expiresAt <= KEEP_EXPIRED_MS)) continue;
      this.silences.set(s.id, { ...s, matchers: { ...s.matchers } });
    }
  }

  /** Active (and pending) silences; with `expired: true` also those expired in the last hour. */
  list(options: { expired?: boolean } = {}): Silence[] {
    const now = this.now();
    this.prune(now);
    return [...this.silences.values()].filter((s) => options.expired === true || s.expiresAt > now).map((s) => ({ ...s }));
  }

  /** Expire a silence now; false when no such silence is active. */
  expire(id: string): boolean {
    const silence = this.silences.get(id);
    const now = this.now();
    if (silence === undefined || silence.expiresAt <= now) return false;
    silence.expiresAt = now;
    return true;
  }

  /** The active silence muting this entry, if any. */
  isActive(silence: Silence, now: number): boolean {
    return silence.startsAt <= now && now < silence.expiresAt;
  }

  activeAt(now: number): Silence[] {
    return [...this.silences.values()].filter((s) => this.isActive(s, now));
  }

  prune(now: number): void {
    for (const [id, s] of this.silences) if (now - s.expiresAt > KEEP_EXPIRED_MS) this.silences.delete(id);
  }
}

export class SilenceStage implements Stage {
  readonly name = 'silence';
  silenced = 0;

  constructor(private readonly silences: Silences) {}

  run(notification: Notification, context: Pick<StageContext, 'now'>): Notification[] {
    const active = this.silences.activeAt(context.now);
    if (active.length === 0) return [notification];
    const kept = notification.alerts.filter((entry) => {
      const muted = active.some((s) => matchesEntry(s.matchers, entry));
      if (muted) this.silenced++;
      return !muted;
    });
    return kept.length === 0 ? [] : [{ ...notification, alerts: kept }];
  }

  /** Forget silences expired more than an hour ago (wall clock: silences are wall-clock by nature). */
  prune(context: StageContext): void {
    this.silences.prune(context.now);
  }
}
