/**
 * What the SLO evaluator reads at start to rebuild its counts over an objective's window: each
 * stored row's service level objective events, from the finest rows the store still holds for
 * each part of the window (`HistoryStore.finestRows`), so every check counts once.
 */
import type { HistoryStore } from './history-store.js';
import type { SloEventCounts } from './slo-counts.js';

/** One stored row's events. */
export interface StoredSloEvents {
  /** End of the row's window (a tier row: of its bucket), epoch ms. */
  timestamp: number;
  /** 0: a check's own row; else the tier's bucket length in seconds (the row spans (timestamp − resolution, timestamp]). */
  resolution: number;
  /** Seconds of checks the row covers: a check's window, or a tier row's checks' windows summed (less than the bucket when the process was down). */
  windowSeconds: number;
  /** Per objective name, the events counted in the row (a tier row: summed over its checks). */
  events: SloEventCounts;
}

/**
 * The SLO events of `serviceId`'s rows with timestamp ≥ `since` (epoch ms), oldest first, no
 * check in two of them: raw rows where they reach, before them the finest tier's. Rows without
 * `sloEvents` (checks made while no objective applied) are left out. The oldest may be a tier row
 * whose bucket began before `since` (at most one bucket: 5 minutes, or an hour before the 5-minute
 * tier's 30 days); drop or keep it as the window's edge asks.
 */
export function sloEventsSince(store: HistoryStore, serviceId: string, since: number): StoredSloEvents[] {
  const out: StoredSloEvents[] = [];
  for (const row of store.finestRows(serviceId, since)) {
    if (row.sloEvents === undefined) continue;
    out.push({ timestamp: row.timestamp, resolution: row.resolution ?? 0, windowSeconds: row.windowSeconds, events: row.sloEvents });
  }
  return out;
}
