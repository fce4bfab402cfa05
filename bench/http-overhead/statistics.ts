/** Summaries of the runs of bench/http-overhead.ts: per variant, medians and ranges over rounds
 * (bench/stats.ts), with ratios and CPU deltas computed within a round. */
import type { VariantName } from '../protocol.js';
import { spread, type Spread } from '../stats.js';
import type { OkRun, RunRecord } from './harness.js';

export const TARGETS = { vsBareExport: 0.95, vsBare: 0.92, cpuDeltaUs: 3 } as const;

/** Below this share of a core, a hello-world server under 50 connections was not CPU-bound: something else ran. */
export const STARVED_CORES = 0.85;

export interface Summary {
  variant: VariantName;
  okRuns: number;
  runs: number;
  reqPerSec: Spread;
  vsBare: Spread;
  vsBareExport: Spread;
  cpuUsPerReq: Spread;
  cpuDeltaVsBare: Spread;
  cpuShare: Spread;
  errors: number;
  exportsPerRun: Spread;
  bytesPerExport: number;
  withHttpDurationPerRun: Spread;
  failures: string[];
}

export function summarize(records: RunRecord[], variants: VariantName[]): Summary[] {
  const ok = records.filter((r): r is OkRun => r.ok);
  const inRound = (round: number, variant: VariantName): OkRun | undefined => ok.find((r) => r.round === round && r.variant === variant);
  return variants.map((variant) => {
    const mine = ok.filter((r) => r.variant === variant);
    const ratios = (baseline: VariantName): number[] =>
      mine.flatMap((r) => {
        const b = inRound(r.round, baseline);
        return b ? [r.reqPerSec / b.reqPerSec] : [];
      });
    const cpuDeltas = mine.flatMap((r) => {
      const b = inRound(r.round, 'bare');
      return b ? [r.cpuUsPerReq - b.cpuUsPerReq] : [];
    });
    const posts = mine.reduce((s, r) => s + r.sink.posts, 0);
    const bytes = mine.reduce((s, r) => s + r.sink.bytes, 0);
    return {
      variant,
      okRuns: mine.length,
      runs: records.filter((r) => r.variant === variant).length,
      reqPerSec: spread(mine.map((r) => r.reqPerSec)),
      vsBare: spread(ratios('bare')),
      vsBareExport: spread(ratios('bare-export')),
      cpuUsPerReq: spread(mine.map((r) => r.cpuUsPerReq)),
      cpuDeltaVsBare: spread(cpuDeltas),
      cpuShare: spread(mine.map((r) => r.cpuShare)),
      errors: mine.reduce((s, r) => s + r.load.errors + r.load.timeouts + r.load.non2xx, 0),
      exportsPerRun: spread(mine.map((r) => r.sink.posts)),
      bytesPerExport: posts ? bytes / posts : 0,
      withHttpDurationPerRun: spread(mine.map((r) => r.sink.withHttpDuration)),
      failures: records.filter((r): r is Extract<RunRecord, { ok: false }> => !r.ok && r.variant === variant).map((r) => r.error),
    };
  });
}
