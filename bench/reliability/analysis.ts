/**
 * Figures and verdicts of one outage scenario run (scenario.ts). Throughput is compared as the
 * median of fixed windows (the machine is shared and noisy); memory as the median of the first
 * and of the last samples of a phase; alert delivery by matching each alert-history transition
 * (fingerprint, transition, time) with the `health.alert` records the endpoint received.
 *
 * Verdicts marked `noisy` (throughput ratio, RSS growth) are asserted by the long run only.
 */
import { DEFAULT_REDELIVERY_MAX_RECORDS } from '../../src/otlp/index.js';
import { spread, type Spread } from '../stats.js';
import { CHECK_NAME, type HistoryTransition, type ServiceStats } from './protocol.js';
import { receivedKey, transitionKey, type Delivery, type Phase, type PhaseKind, type Sample, type ScenarioResult } from './scenario.js';

type CheckFlip = ServiceStats['checkFlips'][number];

/** Targets of issue 6. */
export const TARGETS = { minThroughputRatio: 0.95, maxRssGrowthBytes: 10 * 2 ** 20 } as const;

/**
 * The documented bound: the OTLP log exporter keeps at most this many records for redelivery
 * (the service runs with the default), dropping the oldest beyond it. Records may be counted as
 * dropped only when more than this were raised while the endpoint was down.
 */
export const REDELIVERY_BOUND = DEFAULT_REDELIVERY_MAX_RECORDS;

/** Below this share of a core, a hello-world server under load was not CPU-bound: something else ran (as in bench/http-overhead.ts). */
export const STARVED_CORES = 0.85;

/** The first / last samples a memory figure takes the median of: this many seconds' worth. */
const MEMORY_EDGE_S = 30;

export interface PhaseFigures {
  name: string;
  kind: PhaseKind;
  seconds: number;
  reqPerSec: Spread;
  /** Median req/s over the baseline's median. */
  ratio: number;
  /** Server CPU per request, µs (median over windows), and the baseline's median over it (below 1: the phase cost more CPU per request). */
  cpuUsPerReq: Spread;
  cpuRatio: number;
  /** Windows in which the server got less than STARVED_CORES of a core: other load on the machine (or a starved load generator) cut their req/s. */
  starvedWindows: number;
  failed: number;
  /** Alert transitions raised in the phase, and how many of their records reached the endpoint (by the end). */
  raised: number;
  delivered: number;
  rssMedianBytes: number;
}

export interface MemoryFigures {
  phase: string;
  samples: number;
  /** Medians of the first and of the last samples (MEMORY_EDGE_S worth each), and the largest sample. */
  startBytes: number;
  endBytes: number;
  maxBytes: number;
  growthBytes: number;
  heapStartBytes: number;
  heapEndBytes: number;
}

export interface Verdict {
  name: string;
  pass: boolean;
  detail: string;
  /** Too noisy to assert on a shared CI machine: asserted by the long run only. */
  noisy: boolean;
}

export interface Analysis {
  baseline: Spread;
  phases: PhaseFigures[];
  /** Median req/s of every fault-mode window over the baseline median. */
  outageRatio: number;
  downtimeRatio: number | undefined;
  /** Baseline server CPU µs/req over that of the fault windows / the downtime windows (medians). */
  outageCpuRatio: number;
  downtimeCpuRatio: number | undefined;
  downtimeMemory: MemoryFigures | undefined;
  baselineMemory: MemoryFigures | undefined;
  /** Times the harness switched the check, times the check's answer changed, and changes with no transition in the alert history. */
  toggles: number;
  checkFlips: number;
  flipsWithoutTransition: CheckFlip[];
  history: number;
  alertEventsNotInHistory: number;
  sinkSent: number;
  /** Records received (unique), duplicates (at-least-once delivery), history transitions with no record. */
  received: number;
  duplicates: number;
  /** Records received that match no transition in the history (a key mismatch would show here). */
  unknownRecords: number;
  missing: HistoryTransition[];
  /** Log records the exporter counted as dropped (its `dropped…Records` counters). */
  countedDrops: number;
  /** Drops the bound allows: what was raised while down beyond REDELIVERY_BOUND, per outage. */
  allowedDrops: number;
  deliveries: Delivery[];
  /** Transitions raised while the endpoint was down: during the outage, and during the downtime. */
  outageRaised: number;
  downtimeRaised: number;
  verdicts: Verdict[];
}

const MiB = 2 ** 20;
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** Sum of the exporter's counters of dropped log records (`droppedLogRecords`; batches are not records). */
export function droppedRecords(counters: Record<string, number>): number {
  return Object.entries(counters)
    .filter(([name]) => /^dropped\w*Records$/.test(name))
    .reduce((sum, [, value]) => sum + value, 0);
}

function memory(phase: Phase | undefined, samples: Sample[], sampleEveryS: number): MemoryFigures | undefined {
  if (phase === undefined) return undefined;
  const mine = samples.filter((s) => s.phase === phase.name).sort((a, b) => a.at - b.at);
  if (mine.length < 2) return undefined;
  const k = Math.max(1, Math.min(Math.round(MEMORY_EDGE_S / sampleEveryS), Math.floor(mine.length / 3)));
  const med = (xs: Sample[], f: (s: Sample) => number): number => spread(xs.map(f)).median;
  const first = mine.slice(0, k);
  const last = mine.slice(-k);
  const startBytes = med(first, (s) => s.rssBytes);
  const endBytes = med(last, (s) => s.rssBytes);
  return {
    phase: phase.name,
    samples: mine.length,
    startBytes,
    endBytes,
    maxBytes: Math.max(...mine.map((s) => s.rssBytes)),
    growthBytes: endBytes - startBytes,
    heapStartBytes: med(first, (s) => s.heapUsedBytes),
    heapEndBytes: med(last, (s) => s.heapUsedBytes),
  };
}

/**
 * The check's answer changes matched in order with its alert transitions: each change's
 * transition (firing when it turned unhealthy, resolved when healthy) is the first one at or
 * after it.
 */
function flipsWithoutTransition(flips: CheckFlip[], history: HistoryTransition[]): CheckFlip[] {
  const transitions = history.filter((t) => t.rule === `check:${CHECK_NAME}`).sort((a, b) => a.at - b.at);
  const missing: CheckFlip[] = [];
  let j = 0;
  for (const flip of [...flips].sort((a, b) => a.at - b.at)) {
    while (j < transitions.length && transitions[j]!.at < flip.at) j++;
    const t = transitions[j];
    if (t !== undefined && t.kind === (flip.healthy ? 'resolved' : 'firing')) j++;
    else missing.push(flip);
  }
  return missing;
}

export function analyze(result: ScenarioResult): Analysis {
  const { phases, options } = result;
  const history = result.service?.history ?? [];
  const alerts = result.endpoint?.alerts ?? [];
  const receivedKeys = new Set(alerts.map(receivedKey));
  const historyKeys = new Set(history.map(transitionKey));
  const missing = history.filter((t) => !receivedKeys.has(transitionKey(t)));
  const countedDrops = droppedRecords(result.service?.logExporter ?? {});

  const windowsOf = (kinds: PhaseKind[]): number[] => phases.filter((p) => kinds.includes(p.kind)).flatMap((p) => p.windows.map((w) => w.reqPerSec));
  const baseline = spread(windowsOf(['baseline']));
  const baselineCpu = spread(phases.filter((p) => p.kind === 'baseline').flatMap((p) => p.windows.map((w) => w.cpuUsPerReq))).median;
  const ratio = (values: number[]): number => spread(values).median / baseline.median;
  const raisedIn = (from: number, to: number): HistoryTransition[] => history.filter((t) => t.at >= from && t.at < to);

  const phaseFigures: PhaseFigures[] = phases.map((p) => {
    const raised = raisedIn(p.startedAt, p.endedAt || result.endedAt);
    const rates = p.windows.map((w) => w.reqPerSec);
    const cpu = spread(p.windows.map((w) => w.cpuUsPerReq));
    return {
      name: p.name,
      kind: p.kind,
      seconds: ((p.endedAt || result.endedAt) - p.startedAt) / 1000,
      reqPerSec: spread(rates),
      ratio: ratio(rates),
      cpuUsPerReq: cpu,
      cpuRatio: baselineCpu / cpu.median,
      starvedWindows: p.windows.filter((w) => w.cpuShare < STARVED_CORES).length,
      failed: p.windows.reduce((s, w) => s + w.failed, 0),
      raised: raised.length,
      delivered: raised.filter((t) => receivedKeys.has(transitionKey(t))).length,
      rssMedianBytes: spread(result.samples.filter((s) => s.phase === p.name).map((s) => s.rssBytes)).median,
    };
  });

  const faults = phases.filter((p) => p.kind === 'fault');
  const downtime = phases.find((p) => p.kind === 'downtime');
  const outageRaised = faults.length ? raisedIn(faults[0]!.startedAt, faults[faults.length - 1]!.endedAt).length : 0;
  const downtimeRaised = downtime ? raisedIn(downtime.startedAt, downtime.endedAt).length : 0;
  const allowedDrops = Math.max(0, outageRaised - REDELIVERY_BOUND) + Math.max(0, downtimeRaised - REDELIVERY_BOUND);
  const dropsWithinBound = countedDrops <= allowedDrops;
  const dropsText = `${countedDrops} counted as dropped (${allowedDrops} allowed: raised while down beyond the bound of ${REDELIVERY_BOUND} records)`;
  const outageRatio = ratio(windowsOf(['fault']));
  const cpuRatio = (kinds: PhaseKind[]): number =>
    baselineCpu / spread(phases.filter((p) => kinds.includes(p.kind)).flatMap((p) => p.windows.map((w) => w.cpuUsPerReq))).median;
  const outageCpuRatio = cpuRatio(['fault']);
  const downtimeCpuRatio = downtime ? cpuRatio(['downtime']) : undefined;
  const downtimeRatio = downtime ? ratio(windowsOf(['downtime'])) : undefined;
  const downtimeMemory = memory(downtime, result.samples, options.sampleEveryS);
  const baselineMemory = memory(phases.find((p) => p.kind === 'baseline'), result.samples, options.sampleEveryS);
  const flips = result.service?.checkFlips ?? [];
  const unmatched = flipsWithoutTransition(flips, history);
  const alertEventsNotInHistory = result.service?.alertEventsNotInHistory ?? 0;
  const failed = phases.reduce((s, p) => s + p.windows.reduce((t, w) => t + w.failed, 0), 0);
  const received = receivedKeys.size;
  const unknownRecords = [...receivedKeys].filter((k) => !historyKeys.has(k)).length;

  const verdicts: Verdict[] = [];
  const add = (name: string, pass: boolean, detail: string, noisy = false): void => void verdicts.push({ name, pass, detail, noisy });

  const stop = result.stop;
  add(
    'the service never crashed',
    result.crash === undefined && stop !== undefined && stop.exit === 'code 0' && stop.error === undefined,
    result.crash ?? (stop ? `ran to the end; shutdown took ${stop.shutdownMs?.toFixed(0) ?? '?'} ms and exited with ${stop.exit}${stop.error ? `; shutdown error: ${stop.error}` : ''}` : 'not stopped'),
  );
  add('the harness ran without errors', result.errors.length === 0, result.errors.length ? result.errors.join('; ') : 'every IPC call answered, every fault mode switched');
  add('every request was answered', failed === 0, `${failed} failed requests (connection errors, timeouts, non-2xx) in ${phases.reduce((s, p) => s + p.windows.length, 0)} load windows`);
  add(
    'every alert raised is in the alert history',
    flips.length > 0 && unmatched.length === 0 && alertEventsNotInHistory === 0,
    `the check's answer changed ${flips.length} times (${result.toggles.length} toggles), ${unmatched.length} of them without their transition in the history; ` +
      `${result.service?.alertEvents ?? 0} 'alert' events, ${alertEventsNotInHistory} not in the history; history holds ${history.length} transitions`,
  );
  for (const d of result.deliveries.filter((x) => x.phase !== 'final drain')) {
    const raisedDown = d.phase.includes('downtime') ? downtimeRaised : outageRaised;
    add(
      `alert records raised while the endpoint was down reached it after it came back (${d.phase})`,
      raisedDown > 0 && d.missing <= countedDrops && dropsWithinBound,
      `${raisedDown} transitions raised while down; of the ${d.expected} raised before the recovery, ${d.expected - d.missing} had arrived ` +
        (d.completeAfterMs !== undefined ? `${(d.completeAfterMs / 1000).toFixed(1)} s after the endpoint came back` : `when the ${options.recoveryDeadlineS} s deadline passed`) +
        `; ${dropsText}`,
    );
  }
  add(
    'every alert record reached the endpoint, or was counted as dropped beyond the bound',
    history.length > 0 && missing.length <= countedDrops && dropsWithinBound,
    `${history.length} transitions, ${received} distinct records received (${alerts.length - received} duplicates, ${unknownRecords} matching no transition), ${missing.length} missing, ${dropsText}`,
  );
  const ratioCheck = (name: string, value: number | undefined, cpu: number | undefined): void => {
    if (value === undefined) return;
    add(
      `throughput during the ${name} within ${Math.round((1 - TARGETS.minThroughputRatio) * 100)} % of the baseline`,
      value >= TARGETS.minThroughputRatio,
      `median req/s ratio ${value.toFixed(3)} (target ≥ ${TARGETS.minThroughputRatio}); server CPU per request, baseline ÷ ${name}: ${cpu?.toFixed(3) ?? 'n/a'}`,
      true,
    );
  };
  ratioCheck('outage', outageRatio, outageCpuRatio);
  ratioCheck('downtime', downtimeRatio, downtimeCpuRatio);
  if (downtime) {
    add(
      `RSS growth over the downtime ≤ ${mib(TARGETS.maxRssGrowthBytes)}`,
      downtimeMemory !== undefined && downtimeMemory.growthBytes <= TARGETS.maxRssGrowthBytes,
      downtimeMemory ? `${mib(downtimeMemory.startBytes)} → ${mib(downtimeMemory.endBytes)}: ${downtimeMemory.growthBytes >= 0 ? '+' : ''}${mib(downtimeMemory.growthBytes)} (max ${mib(downtimeMemory.maxBytes)})` : 'too few samples',
      true,
    );
  }

  return {
    baseline,
    phases: phaseFigures,
    outageRatio,
    downtimeRatio,
    outageCpuRatio,
    downtimeCpuRatio,
    downtimeMemory,
    baselineMemory,
    toggles: result.toggles.length,
    checkFlips: flips.length,
    flipsWithoutTransition: unmatched,
    history: history.length,
    alertEventsNotInHistory,
    sinkSent: result.service?.otelLogSink.sent ?? 0,
    received,
    duplicates: alerts.length - received,
    unknownRecords,
    missing,
    countedDrops,
    allowedDrops,
    deliveries: result.deliveries,
    outageRaised,
    downtimeRaised,
    verdicts,
  };
}

/** Verdicts that fail: all of them (`noisy` included) for the long run, the others only for the short test. */
export function failures(analysis: Analysis, includeNoisy: boolean): Verdict[] {
  return analysis.verdicts.filter((v) => !v.pass && (includeNoisy || !v.noisy));
}
