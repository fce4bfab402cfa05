/**
 * Online anomaly detector for one numeric series (issue 13, first step: the detector and its
 * NAB runner; not yet a rule).
 *
 * Method: a multi-scale windowed-Gaussian ensemble with a record-relative score.
 * - Baselines: K exponentially weighted means and variances (windows of `scales` points,
 *   α = 2/(w+1)), the online form of NAB's "windowed Gaussian" detector at several time scales.
 *   For each point x, before it is learned, z = max over scales of |x − mean_k| / sd_k, and with
 *   the fastest baseline (x included) against the slowest one's spread (a level-shift term).
 * - Score: the ensemble z is compared with the largest z this series has produced recently
 *   (a running maximum M decayed by `maxDecay` per point): score = z / (z + M). A point as
 *   surprising as the recent worst scores 0.5; a new record approaches 1; ordinary noise stays
 *   low. This makes one threshold mean the same thing on series of any scale and noise level,
 *   in the spirit of the normalisation step of HTM's "anomaly likelihood" (Ahmad et al., 2017,
 *   "Unsupervised real-time anomaly detection for streaming data"), which compares a recent
 *   surprise with the series' own history of surprises rather than with a fixed constant.
 * Sources: NAB's windowed Gaussian baseline (Lavin & Ahmad, 2015, "Evaluating real-time anomaly
 * detection algorithms – the Numenta Anomaly Benchmark"); the anomaly-likelihood idea above. No
 * code was copied. On the 35 NAB series in shared/nab it scores far below HTM, CAD OSE and ARTime
 * (bench/nab/RESULTS.md); it is a baseline for the next steps, not the issue's goal.
 *
 * Online: `score(x)` returns the score of x computed from the state before x, then learns x.
 * Same parameters for every series; no training data.
 *
 * Memory per series: 2·K + a few numbers (K = 3 by default: about 10 doubles, well under 1 KiB
 * including the object); nothing grows with the length of the series.
 *
 * Bad input (each has a test in test/unit/anomaly.test.ts):
 * - NaN, ±Infinity: score 0, not learned (the state is as if the point never came).
 * - Constant series: the variance is 0; the spread is floored at `relativeFloor` × the long-run
 *   mean absolute level (+1e-12), so no division by zero; a constant scores 0.
 * - A step that stays: scores high at the step, then the baselines learn the new level and the
 *   running maximum remembers the step, so the score falls.
 * - Huge values (|x| up to Number.MAX_VALUE): differences that overflow are clamped; the score
 *   stays finite in [0, 1]. Never NaN.
 * - Timestamps: accepted and ignored. The detector counts points, not time: a gap (no points for
 *   an hour) is just the next point, and a timestamp that goes backwards changes nothing. The
 *   caller decides what a point is (one per check interval).
 * - Warm-up: the first `warmup` points score 0 while they are learned.
 */

export interface AnomalyDetectorOptions {
  /** Window lengths, in points, of the exponentially weighted baselines. Default [16, 128, 1024]. */
  scales?: number[];
  /** Points learned before any score above 0. Default 64. */
  warmup?: number;
  /** Decay per point of the running maximum of z (0.998: half-life ≈ 350 points). Default 0.998. */
  maxDecay?: number;
  /** Floor of the standard deviation, relative to the long-run mean absolute level. Default 1e-3. */
  relativeFloor?: number;
}

export const ANOMALY_DETECTOR_DEFAULTS: Readonly<Required<AnomalyDetectorOptions>> = Object.freeze({
  scales: [16, 128, 1024],
  warmup: 64,
  maxDecay: 0.998,
  relativeFloor: 1e-3,
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
  }

  /** Points learned so far (non-finite values are not counted). */
  get learned(): number {
    return this.n;
  }

  /**
   * The anomaly score of `value` in [0, 1], from the state before it; then learns it.
   * `timestampMs` is accepted for the caller's convenience and not used (see the module comment).
   */
  score(value: number, timestampMs?: number): number {
    void timestampMs;
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
    if (!(out >= 0 && out <= 1)) out = out > 1 ? 1 : 0;
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
