/**
 * The one place internal errors go: a problem inside otel-health (a collect that failed, a
 * listener or sink that threw, an instrumentation subscriber that caught something) is counted
 * per place and reported through OpenTelemetry's `diag`, as the SDK's own code reports its
 * problems. Never thrown: the service matters more than the report.
 *
 * - Once per distinct problem (place + error name + message): the first occurrence goes to
 *   `diag.error` with the error object; repeats of it are only counted.
 * - Rate-limited: at most `maxReports` first occurrences per `windowMs` (monotonic clock). Beyond
 *   that, one `diag.warn` says reports are held back and the rest are only counted, so a sink
 *   failing in a loop with ever-changing messages cannot flood the log.
 * - Bounded memory: at most `maxProblems` distinct problems are remembered; later new ones are
 *   counted per place and reported only within the rate limit, as if new.
 */
import { diag } from '@opentelemetry/api';

export interface InternalErrorReporterOptions {
  /** Monotonic clock, ms (default performance.now). */
  monotonic?: () => number;
  /** Where reports go (default OpenTelemetry's `diag`). */
  log?: { error(message: string, ...args: unknown[]): void; warn(message: string, ...args: unknown[]): void };
  /** First occurrences reported per window at most (default 10). */
  maxReports?: number;
  /** The rate limit's window, ms (default 60 000). */
  windowMs?: number;
  /** Distinct problems remembered at most (default 100). */
  maxProblems?: number;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}

export class InternalErrorReporter {
  private readonly counts = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly monotonic: () => number;
  private readonly log: NonNullable<InternalErrorReporterOptions['log']>;
  private readonly maxReports: number;
  private readonly windowMs: number;
  private readonly maxProblems: number;
  private windowStart = -Infinity;
  private reportsInWindow = 0;
  private heldBackWarned = false;

  constructor(options: InternalErrorReporterOptions = {}) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.log = options.log ?? diag;
    this.maxReports = options.maxReports ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxProblems = options.maxProblems ?? 100;
  }

  /** Count an internal error at `where` (`collect`, `sink pager`, `http instrumentation`, …) and report it once. Never throws. */
  report(where: string, error: unknown): void {
    try {
      this.counts.set(where, (this.counts.get(where) ?? 0) + 1);
      const text = describe(error);
      const key = `${where}\u0000${text}`;
      if (this.seen.has(key)) return;
      const now = this.monotonic();
      if (now - this.windowStart >= this.windowMs) {
        this.windowStart = now;
        this.reportsInWindow = 0;
        this.heldBackWarned = false;
      }
      if (this.reportsInWindow >= this.maxReports) {
        if (!this.heldBackWarned) {
          this.heldBackWarned = true;
          this.log.warn(`otel-health: more than ${this.maxReports} distinct internal errors within ${Math.round(this.windowMs / 1000)} s; further ones are counted, not reported, until it calms down`);
        }
        return;
      }
      this.reportsInWindow++;
      if (this.seen.size < this.maxProblems) this.seen.add(key);
      this.log.error(`otel-health: internal error in ${where} (reported once; repeats are counted): ${text}`, error);
    } catch {
      // A diag logger that throws must not reach the service.
    }
  }

  /** Internal errors counted so far, per place. */
  counted(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Internal errors counted so far, all places. */
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

/** The process's reporter: every part of otel-health reports here. */
export const internalErrors = new InternalErrorReporter();

/** Count an internal error at `where` and report it through `diag` (once per distinct problem, rate-limited). */
export function reportInternalError(where: string, error: unknown): void {
  internalErrors.report(where, error);
}
