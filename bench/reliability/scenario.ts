/**
 * The outage scenario under load. Three child processes on 127.0.0.1: the service under test
 * (service.ts: hello-world server + startHealthMonitoring), the fault endpoint it exports to
 * (fault-endpoint.ts), and the load generator (bench/load.ts, autocannon). The harness runs:
 *
 *   baseline (endpoint up) → outage: one phase per fault mode (refuse, hang, 500, 429) → recovery
 *   (up, until every alert record raised so far has arrived, or a deadline) → a second baseline
 *   (half as long) → downtime (refuse) → recovery → final drain
 *
 * Throughout, load runs in back-to-back windows of fixed length (one autocannon run each), the
 * service's `outage` check is turned unhealthy and healthy every `alertPeriodS` (so alerts fire
 * and resolve in every phase), and the service's memory and alert state are sampled.
 *
 * This module only runs the scenario and returns what it saw; analysis.ts turns that into
 * figures and verdicts, report.ts into markdown. Used by run.ts (`npm run reliability`) and by
 * test/system/outage-under-load.test.ts (short durations).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../../support/children.js';
import type { LoadMessage, LoadResult } from '../protocol.js';
import type { EndpointMessage, EndpointStats, FaultMode, HistoryTransition, ReceivedAlert, ServiceMessage, ServiceStats } from './protocol.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');

export interface ScenarioOptions {
  /** Seconds of load before the baseline, not compared (JIT warm-up; 0: none). */
  warmupS: number;
  /** Seconds of the no-fault baseline. */
  baselineS: number;
  /** Seconds of each fault mode of the outage. */
  faultS: number;
  /** The outage's fault modes, in order. */
  faultModes: FaultMode[];
  /** Seconds of the long `refuse` downtime (0: no downtime phase). */
  downtimeS: number;
  /** Longest wait, seconds, after the endpoint comes back for the alert records raised so far. */
  recoveryDeadlineS: number;
  /** Seconds of one load window (one autocannon run); throughput is compared per window. */
  windowS: number;
  /** Seconds between turning the `outage` check unhealthy and healthy again (and back). */
  alertPeriodS: number;
  /** OTEL_METRIC_EXPORT_INTERVAL of the service, ms. */
  exportIntervalMs: number;
  /** The service's checkInterval, seconds. */
  checkIntervalS: number;
  /** autocannon connections. */
  connections: number;
  /** Seconds between samples of the service's memory and alert state. */
  sampleEveryS: number;
  /** OTEL_EXPORTER_OTLP_TIMEOUT of the service, ms (undefined: the stock default, 10 s). */
  otlpTimeoutMs: number | undefined;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** `npm run reliability`: the issue's durations (about 16 minutes). */
export const LONG_OPTIONS: ScenarioOptions = {
  warmupS: 10,
  baselineS: 120,
  faultS: 30,
  faultModes: ['refuse', 'hang', 'status500', 'status429'],
  downtimeS: 600,
  recoveryDeadlineS: 120,
  windowS: 10,
  alertPeriodS: 20,
  exportIntervalMs: 2000,
  checkIntervalS: 1,
  connections: 20,
  sampleEveryS: 5,
  otlpTimeoutMs: undefined,
};

/** `--short` and the test: every phase a few seconds. */
export const SHORT_OPTIONS: ScenarioOptions = {
  warmupS: 2,
  baselineS: 4,
  faultS: 2,
  faultModes: ['refuse', 'hang', 'status500', 'status429'],
  downtimeS: 4,
  recoveryDeadlineS: 20,
  windowS: 2,
  alertPeriodS: 1,
  exportIntervalMs: 500,
  checkIntervalS: 0.25,
  connections: 10,
  sampleEveryS: 0.5,
  otlpTimeoutMs: 1500,
};

export type PhaseKind = 'warmup' | 'baseline' | 'fault' | 'recovery' | 'downtime';

export interface LoadWindow {
  startedAt: number;
  requests: number;
  reqPerSec: number;
  /** Server CPU (user + system, all threads) per request, µs, and over wall time (1 = one core busy). */
  cpuUsPerReq: number;
  cpuShare: number;
  /** Requests that failed: connection errors, timeouts and non-2xx answers. */
  failed: number;
  latencyP99Ms: number;
}

export interface Phase {
  name: string;
  kind: PhaseKind;
  mode: FaultMode;
  startedAt: number;
  endedAt: number;
  windows: LoadWindow[];
}

export interface Toggle {
  healthy: boolean;
  /** The service's clock when it switched the check, epoch ms. */
  at: number;
}

export interface Sample {
  at: number;
  phase: string;
  rssBytes: number;
  heapUsedBytes: number;
}

/** How a recovery went: the alert records raised before the endpoint came back, and when they had all arrived. */
export interface Delivery {
  phase: string;
  /** Recovery start, epoch ms: records of transitions before this were raised while the endpoint was down (or earlier). */
  since: number;
  /** Transitions raised before `since`, and how many of them had not arrived when the wait ended. */
  expected: number;
  missing: number;
  /** ms after `since` when the last of them arrived; undefined when the deadline passed first. */
  completeAfterMs: number | undefined;
}

export interface ScenarioResult {
  options: Omit<ScenarioOptions, 'progress'>;
  startedAt: number;
  endedAt: number;
  phases: Phase[];
  toggles: Toggle[];
  samples: Sample[];
  deliveries: Delivery[];
  /** The last stats before the service was stopped. */
  service: ServiceStats | undefined;
  endpoint: EndpointStats | undefined;
  /** Set when the service process exited on its own: how, and the end of its output. */
  crash: string | undefined;
  stop: { shutdownMs: number | undefined; error: string | undefined; exit: string } | undefined;
  /** Harness-level problems (an IPC call that failed, a mode switch that failed). */
  errors: string[];
}

const READY_TIMEOUT_MS = 60_000;
const IPC_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 20_000;
/** How often a recovery asks whether the alert records have arrived (the resolution of its figure). */
const DELIVERY_POLL_MS = 250;

let nextId = 1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export const transitionKey = (t: { fingerprint: string; kind: string; at: number }): string => `${t.fingerprint}|${t.kind}|${t.at}`;
export const receivedKey = (a: ReceivedAlert): string => `${a.fingerprint}|${a.transition}|${a.atMs}`;

/** The service's environment: only this scenario's OTEL_* variables, none inherited. */
function serviceEnv(opts: ScenarioOptions, endpointPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OTEL_')) env[key] = value;
  Object.assign(env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${endpointPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_METRIC_EXPORT_INTERVAL: String(opts.exportIntervalMs),
    RELIABILITY_CHECK_INTERVAL_S: String(opts.checkIntervalS),
  });
  if (opts.otlpTimeoutMs !== undefined) env.OTEL_EXPORTER_OTLP_TIMEOUT = String(opts.otlpTimeoutMs);
  return env;
}

/** The phases in order; recoveries have no fixed length (they last until delivery or their deadline). */
function plan(opts: ScenarioOptions): { name: string; kind: PhaseKind; mode: FaultMode; seconds: number }[] {
  const phases: { name: string; kind: PhaseKind; mode: FaultMode; seconds: number }[] = [];
  if (opts.warmupS > 0) phases.push({ name: 'warm-up', kind: 'warmup', mode: 'up', seconds: opts.warmupS });
  phases.push({ name: 'baseline', kind: 'baseline', mode: 'up', seconds: opts.baselineS });
  for (const mode of opts.faultModes) phases.push({ name: `outage: ${mode}`, kind: 'fault', mode, seconds: opts.faultS });
  if (opts.faultModes.length > 0) {
    phases.push({ name: 'recovery after outage', kind: 'recovery', mode: 'up', seconds: 0 });
    // A second no-fault stretch after the outage: the throughput baseline pools the windows
    // before and after it, so a drift of the shared machine over the run is not read as the
    // cost of the faults (one baseline before them alone gave 0.92-0.96 for later up windows).
    phases.push({ name: 'baseline after outage', kind: 'baseline', mode: 'up', seconds: opts.baselineS / 2 });
  }
  if (opts.downtimeS > 0) {
    phases.push({ name: 'downtime: refuse', kind: 'downtime', mode: 'refuse', seconds: opts.downtimeS });
    phases.push({ name: 'recovery after downtime', kind: 'recovery', mode: 'up', seconds: 0 });
  }
  return phases;
}

export function validateOptions(opts: ScenarioOptions): void {
  const positive = (name: keyof ScenarioOptions): void => {
    const v = opts[name];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`${name} must be > 0, got ${String(v)}`);
  };
  for (const name of ['baselineS', 'recoveryDeadlineS', 'windowS', 'alertPeriodS', 'exportIntervalMs', 'checkIntervalS', 'connections', 'sampleEveryS'] as const) positive(name);
  if (opts.faultModes.length > 0) positive('faultS');
  for (const name of ['downtimeS', 'warmupS'] as const) if (!(opts[name] >= 0)) throw new Error(`${name} must be ≥ 0, got ${opts[name]}`);
  // A check that flips back before the monitor has looked at it raises nothing.
  if (opts.alertPeriodS < 2 * opts.checkIntervalS) throw new Error(`alertPeriodS (${opts.alertPeriodS}) must be at least twice checkIntervalS (${opts.checkIntervalS})`);
  if (opts.faultModes.includes('up')) throw new Error("'up' is not a fault mode");
}

/** The three child processes and the IPC calls to them. */
class Children {
  private constructor(
    readonly endpoint: Child,
    readonly endpointPort: number,
    readonly load: Child,
    readonly service: Child,
    readonly servicePort: number,
  ) {}

  static async start(opts: ScenarioOptions): Promise<Children> {
    const env = { ...process.env };
    const endpoint = new Child('fault endpoint', path.join(HERE, 'fault-endpoint.ts'), [], { cwd: REPO_ROOT, env });
    const load = new Child('load', path.join(HERE, '..', 'load.ts'), [], { cwd: REPO_ROOT, env });
    let service: Child | undefined;
    try {
      const [endpointPort] = await Promise.all([
        endpoint.waitFor((m) => ((m as EndpointMessage).type === 'ready' ? (m as { port: number }).port : undefined), READY_TIMEOUT_MS, 'starting the fault endpoint'),
        load.waitFor((m) => ((m as LoadMessage).type === 'ready' ? true : undefined), READY_TIMEOUT_MS, 'starting the load generator'),
      ]);
      service = new Child('service', path.join(HERE, 'service.ts'), [], { cwd: REPO_ROOT, env: serviceEnv(opts, endpointPort) });
      const servicePort = await service.waitFor(
        (m) => {
          const msg = m as ServiceMessage;
          if (msg.type === 'failed') throw new Error(`the service failed to start: ${msg.error}`);
          return msg.type === 'ready' ? msg.port : undefined;
        },
        READY_TIMEOUT_MS,
        'starting the service',
      );
      return new Children(endpoint, endpointPort, load, service, servicePort);
    } catch (err) {
      endpoint.kill();
      load.kill();
      service?.kill();
      throw err;
    }
  }

  private call<T>(child: Child, command: { type: string } & Record<string, unknown>, pick: (msg: { type: string; id?: number }) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const id = nextId++;
    child.send({ ...command, id });
    return child.waitFor((m) => {
      const msg = m as { type: string; id?: number };
      return msg.id === id ? pick(msg) : undefined;
    }, timeoutMs, what);
  }

  setMode(mode: FaultMode): Promise<void> {
    return this.call(this.endpoint, { type: 'mode', mode }, (msg) => {
      const m = msg as Extract<EndpointMessage, { type: 'mode' }>;
      if (m.type !== 'mode') return undefined;
      if (m.error !== undefined) throw new Error(`the fault endpoint could not switch to ${mode}: ${m.error}`);
      return true;
    }, IPC_TIMEOUT_MS, `switching the fault endpoint to ${mode}`).then(() => undefined);
  }

  endpointStats(): Promise<EndpointStats> {
    return this.call(this.endpoint, { type: 'stats' }, (msg) => (msg.type === 'stats' ? (msg as Extract<EndpointMessage, { type: 'stats' }>).stats : undefined), IPC_TIMEOUT_MS, 'asking the fault endpoint for its stats');
  }

  serviceStats(): Promise<ServiceStats> {
    return this.call(this.service, { type: 'stats' }, (msg) => (msg.type === 'stats' ? (msg as Extract<ServiceMessage, { type: 'stats' }>).stats : undefined), IPC_TIMEOUT_MS, 'asking the service for its stats');
  }

  serviceCpuUs(): Promise<number> {
    return this.call(this.service, { type: 'cpu' }, (msg) => (msg.type === 'cpu' ? (msg as Extract<ServiceMessage, { type: 'cpu' }>).us : undefined), IPC_TIMEOUT_MS, 'asking the service for its CPU time');
  }

  setHealthy(healthy: boolean): Promise<number> {
    return this.call(this.service, { type: 'check', healthy }, (msg) => (msg.type === 'check' ? (msg as Extract<ServiceMessage, { type: 'check' }>).at : undefined), IPC_TIMEOUT_MS, 'switching the health check');
  }

  runLoad(seconds: number, connections: number): Promise<LoadResult> {
    return this.call(
      this.load,
      { type: 'run', url: `http://127.0.0.1:${this.servicePort}/`, connections, duration: seconds },
      (msg) => {
        const m = msg as LoadMessage;
        if (m.type === 'error') throw new Error(`autocannon failed: ${m.error}`);
        return m.type === 'result' ? m.result : undefined;
      },
      (seconds + 30) * 1000,
      'running autocannon',
    );
  }

  async stopService(): Promise<{ shutdownMs: number | undefined; error: string | undefined; exit: string }> {
    let shutdownMs: number | undefined;
    let error: string | undefined;
    try {
      const stopped = await this.call(this.service, { type: 'stop' }, (msg) => (msg.type === 'stopped' ? (msg as Extract<ServiceMessage, { type: 'stopped' }>) : undefined), STOP_TIMEOUT_MS, 'stopping the service');
      shutdownMs = stopped.shutdownMs;
      error = stopped.error;
    } catch (err) {
      error = message(err);
    }
    await this.service.stop(STOP_TIMEOUT_MS);
    const { exitCode, signalCode } = this.service.proc;
    return { shutdownMs, error, exit: signalCode ? `signal ${signalCode}` : `code ${exitCode}` };
  }

  kill(): void {
    this.service.kill();
    this.endpoint.kill();
    this.load.kill();
  }
}

/** All transitions raised before `since` have a record at the endpoint: how many were expected and missing. */
function missingBefore(service: ServiceStats, endpoint: EndpointStats, since: number): { expected: HistoryTransition[]; missing: HistoryTransition[] } {
  const got = new Set(endpoint.alerts.map(receivedKey));
  const expected = service.history.filter((t) => t.at < since);
  return { expected, missing: expected.filter((t) => !got.has(transitionKey(t))) };
}

export async function runOutageScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  validateOptions(options);
  const { progress, ...recorded } = options;
  const say = progress ?? ((): void => undefined);
  const result: ScenarioResult = {
    options: recorded,
    startedAt: Date.now(),
    endedAt: 0,
    phases: [],
    toggles: [],
    samples: [],
    deliveries: [],
    service: undefined,
    endpoint: undefined,
    crash: undefined,
    stop: undefined,
    errors: [],
  };
  const children = await Children.start(options);
  say(`service on 127.0.0.1:${children.servicePort}, fault endpoint on 127.0.0.1:${children.endpointPort}`);
  const crashed = (): boolean => {
    if (!children.service.exited) return false;
    const { exitCode, signalCode } = children.service.proc;
    result.crash ??= `the service exited (${signalCode ? `signal ${signalCode}` : `code ${exitCode}`}); its output ends with:\n${children.service.output()}`;
    return true;
  };
  const noteError = (err: unknown): void => {
    if (crashed()) return;
    if (result.errors.length < 50) result.errors.push(message(err));
  };

  let phaseName = 'start';
  let healthy = true;
  // The IPC call in flight, if any: a tick never overlaps the previous one.
  let toggling: Promise<void> | undefined;
  const toggle = (): void => {
    if (toggling !== undefined || crashed()) return;
    healthy = !healthy;
    const next = healthy;
    toggling = children
      .setHealthy(next)
      .then((at) => void result.toggles.push({ healthy: next, at }), noteError)
      .finally(() => (toggling = undefined));
  };
  let sampling: Promise<void> | undefined;
  const sample = (): void => {
    if (sampling !== undefined || crashed()) return;
    const phase = phaseName;
    sampling = children
      .serviceStats()
      .then((s) => {
        result.service = s;
        result.samples.push({ at: s.now, phase, rssBytes: s.rssBytes, heapUsedBytes: s.heapUsedBytes });
      }, noteError)
      .finally(() => (sampling = undefined));
  };

  const toggler = setInterval(toggle, options.alertPeriodS * 1000);
  const sampler = setInterval(sample, options.sampleEveryS * 1000);
  try {
    sample();
    toggle();
    for (const step of plan(options)) {
      if (crashed()) break;
      phaseName = step.name;
      await children.setMode(step.mode);
      const phase: Phase = { name: step.name, kind: step.kind, mode: step.mode, startedAt: Date.now(), endedAt: 0, windows: [] };
      result.phases.push(phase);
      say(`${new Date(phase.startedAt).toISOString()} ${step.name}`);

      const window = async (): Promise<void> => {
        const startedAt = Date.now();
        const cpuBefore = await children.serviceCpuUs();
        const load = await children.runLoad(options.windowS, options.connections);
        const cpuUs = (await children.serviceCpuUs()) - cpuBefore;
        phase.windows.push({
          startedAt,
          requests: load.requests,
          reqPerSec: load.requests / load.duration,
          cpuUsPerReq: load.requests > 0 ? cpuUs / load.requests : Number.NaN,
          cpuShare: cpuUs / 1e6 / load.duration,
          failed: load.errors + load.timeouts + load.non2xx,
          latencyP99Ms: load.latencyP99Ms,
        });
      };

      if (step.kind === 'recovery') {
        let done = false;
        const delivery = waitForDelivery(children, step.name, phase.startedAt, options.recoveryDeadlineS * 1000, crashed).finally(() => (done = true));
        do await window();
        while (!done && !crashed());
        const d = await delivery;
        result.deliveries.push(d);
        say(`  ${d.expected - d.missing}/${d.expected} alert records raised before the recovery had arrived ${d.completeAfterMs !== undefined ? `${(d.completeAfterMs / 1000).toFixed(1)} s after it` : `when the ${options.recoveryDeadlineS} s deadline passed`}`);
      } else {
        const count = Math.max(1, Math.round(step.seconds / options.windowS));
        for (let i = 0; i < count && !crashed(); i++) await window();
      }
      phase.endedAt = Date.now();
      const rates = phase.windows.map((w) => w.reqPerSec.toFixed(0)).join(', ');
      say(`  req/s per window: ${rates}`);
    }

    // Last: every toggle has its transition, and every transition its record, or the deadline passes.
    clearInterval(toggler);
    phaseName = 'final drain';
    if (!crashed()) {
      await toggling;
      // The last toggle shows in the check's answers within a check or two.
      const settled = Math.max(0, ...result.toggles.map((t) => t.at)) + 2 * options.checkIntervalS * 1000;
      const final = await waitForDelivery(children, 'final drain', Number.POSITIVE_INFINITY, options.recoveryDeadlineS * 1000, crashed, settled);
      result.deliveries.push(final);
    }
    clearInterval(sampler);
    await sampling;
    if (!crashed()) {
      [result.service, result.endpoint] = await Promise.all([children.serviceStats(), children.endpointStats()]);
      result.stop = await children.stopService();
    } else {
      result.endpoint = await children.endpointStats().catch(() => undefined);
    }
  } catch (err) {
    noteError(err);
  } finally {
    clearInterval(toggler);
    clearInterval(sampler);
    children.kill();
    result.endedAt = Date.now();
  }
  return result;
}

/**
 * Polls until every alert transition raised before `since` has its record at the endpoint (and,
 * when `settledAt` is given, the service's clock has passed it and every change the check
 * answered has its transition in the history), or until `deadlineMs` passes.
 */
async function waitForDelivery(
  children: Children,
  phase: string,
  since: number,
  deadlineMs: number,
  crashed: () => boolean,
  settledAt?: number,
): Promise<Delivery> {
  const started = Date.now();
  const origin = Number.isFinite(since) ? since : started;
  const cutoff = Number.isFinite(since) ? since : Number.MAX_SAFE_INTEGER;
  let last = { expected: 0, missing: 0 };
  while (!crashed()) {
    const [service, endpoint] = await Promise.all([children.serviceStats(), children.endpointStats()]);
    const { expected, missing } = missingBefore(service, endpoint, cutoff);
    last = { expected: expected.length, missing: missing.length };
    const allRaised = settledAt === undefined || (service.now >= settledAt && service.history.length >= service.checkFlips.length);
    if (missing.length === 0 && allRaised) return { phase, since: origin, ...last, completeAfterMs: Date.now() - origin };
    if (Date.now() - started >= deadlineMs) break;
    await sleep(DELIVERY_POLL_MS);
  }
  return { phase, since: origin, ...last, completeAfterMs: undefined };
}
