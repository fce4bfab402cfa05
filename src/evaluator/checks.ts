import type { HealthCheckConfig } from '../config/index.js';
import type { CheckResult } from '../model/index.js';

/**
 * Runs the custom health checks of one check: all at once, each bounded by its timeout, never
 * two runs of one check at the same time. A check that throws, rejects, returns `false` or
 * outlives its timeout fails; none of them can disturb the monitor or the service.
 */
export class CheckRunner {
  /** Checks whose previous run has not settled yet (it timed out and is still going). */
  private readonly running = new Set<string>();

  constructor(
    private readonly checks: readonly HealthCheckConfig[],
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async runAll(): Promise<CheckResult[]> {
    return Promise.all(this.checks.map((check) => this.run(check)));
  }

  private async run(check: HealthCheckConfig): Promise<CheckResult> {
    if (this.running.has(check.name)) {
      return { name: check.name, ok: false, durationMs: 0, error: 'previous run still in progress', timedOut: true };
    }
    this.running.add(check.name);
    const controller = new AbortController();
    const started = this.clock();
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = check.timeout * 1000;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    // Invoke inside a promise chain so a synchronous throw becomes a rejection.
    const attempt = Promise.resolve().then(() => check.check(controller.signal));
    attempt.then(
      () => this.running.delete(check.name),
      () => this.running.delete(check.name),
    );
    try {
      const outcome = await Promise.race([attempt.then((value) => ({ value })), timedOut]);
      const durationMs = this.clock() - started;
      if (outcome === 'timeout') {
        controller.abort(new Error(`timed out after ${check.timeout}s`));
        return { name: check.name, ok: false, durationMs, error: `timed out after ${check.timeout}s`, timedOut: true };
      }
      if (outcome.value === false) return { name: check.name, ok: false, durationMs, error: 'returned false' };
      return { name: check.name, ok: true, durationMs };
    } catch (error) {
      return { name: check.name, ok: false, durationMs: this.clock() - started, error: describe(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error).slice(0, 200);
  } catch {
    return 'check failed';
  }
}
