/**
 * Time-of-day residual (issue 13, third step): how far is the value from the usual value at this
 * time of day, on a series whose time-of-day profile explains most of its variance? See the
 * module comment of ../anomaly.ts for the method, parameters and timestamp behaviour.
 */

export interface SeasonalOptions {
  /** Length of the cycle in days (1: time of day, 7: time of week; cycles aligned to UTC midnight). */
  periodDays: number;
  /** Slots per cycle (48 a day: half-hours). */
  slots: number;
  /**
   * Cycles a slot's mean averages over: a running mean of its visits, exponentially weighted once it
   * has more than memoryCycles × (its visits per cycle) of them, so the memory is in cycles
   * whatever the sampling rate (5-minute points: 6 visits a day per half-hour slot, 15-second
   * checks: 120).
   */
  memoryCycles: number;
  /** Distinct cycles a slot must have been seen in before it scores. */
  minCycles: number;
  /** Share of the variance the profile must explain, 1 − residual variance / total variance. */
  minStrength: number;
  /** Share it must explain before `lastZ` is given (to judge whether the profile explains a value). */
  explainStrength: number;
  /** Window, in days, of the residual and total variances (in points: windowDays × points per day seen so far, at least 100). */
  windowDays: number;
  /** Score 1 − min(1, factor × two-sided Gaussian tail of z): 10^6 scores above 0.99 from z ≈ 5.7. */
  factor: number;
}

/** Values beyond this are not learned by this part (their squares would overflow). */
const HUGE = 1e150;

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export class Seasonal {
  private readonly slots: number;
  private readonly periodMs: number;
  private readonly memoryCycles: number;
  private readonly minCycles: number;
  private readonly minStrength: number;
  private readonly explainStrength: number;
  private readonly windowDays: number;
  private readonly factor: number;
  /** Per slot: mean, visits, latest cycle seen, distinct cycles seen. */
  private readonly mean: Float64Array;
  private readonly visits: Float32Array;
  private readonly lastDay: Float32Array;
  private readonly days: Float32Array;
  /** EW mean square of the residual (value − its slot's mean before the value). */
  private resVar = 0;
  private residuals = 0;
  /** EW mean and variance of the values. */
  private totMean = 0;
  private totVar = 0;
  private values = 0;
  /** z of the last point when its slot was seen in ≥ minCycles cycles and the profile explains ≥ explainStrength of the variance, else NaN. */
  lastZ = Number.NaN;
  /** Distinct days seen (a day counts when later than the latest one), for points per day. */
  private allDays = 0;
  private latestDay = Number.NaN;

  constructor(o: SeasonalOptions) {
    this.slots = Math.max(1, Math.min(2016, Math.floor(o.slots)));
    this.periodMs = Math.max(1, o.periodDays) * 86_400_000;
    this.memoryCycles = Math.max(1 / 24, o.memoryCycles);
    this.minCycles = Math.max(1, o.minCycles);
    this.minStrength = o.minStrength;
    this.explainStrength = o.explainStrength;
    this.windowDays = Math.max(1 / 24, o.windowDays);
    this.factor = o.factor;
    this.mean = new Float64Array(this.slots);
    // counts and cycle numbers are exact in 32-bit floats up to 2^24 (a visit count beyond that
    // only makes the slot's mean a little longer-lived)
    this.visits = new Float32Array(this.slots);
    this.lastDay = new Float32Array(this.slots).fill(Number.NaN);
    this.days = new Float32Array(this.slots);
  }

  /** Score in [0, 1] of x at time t (UTC ms) from the state before it; then learns it. */
  score(x: number, t: number | undefined): number {
    this.lastZ = Number.NaN;
    if (t === undefined || !Number.isFinite(t) || !(Math.abs(x) < HUGE)) return 0;
    const day = Math.floor(t / 86_400_000);
    const cycle = Math.floor(t / this.periodMs);
    const s = Math.min(this.slots - 1, Math.floor(((t - cycle * this.periodMs) / this.periodMs) * this.slots));
    const seen = this.visits[s]! > 0;
    const r = x - this.mean[s]!;
    let out = 0;
    const strength = this.resVar > 0 && this.totVar > 0 ? 1 - this.resVar / this.totVar : 0;
    if (seen && this.days[s]! >= this.minCycles && strength >= this.explainStrength) this.lastZ = Math.abs(r) / Math.sqrt(this.resVar);
    if (seen && this.days[s]! >= this.minCycles && this.resVar > 0 && strength >= this.minStrength) {
      const p = erfc(Math.abs(r) / Math.sqrt(2 * this.resVar)) * this.factor;
      out = p < 1 ? 1 - p : 0;
    }
    // learn
    if (!(day <= this.latestDay)) {
      this.latestDay = day;
      this.allDays += 1;
    }
    const a = 1 / Math.max(100, this.windowDays * ((this.values + 1) / this.allDays));
    if (seen) {
      this.resVar = this.residuals === 0 ? r * r : this.resVar + a * (r * r - this.resVar);
      this.residuals += 1;
    }
    if (this.values === 0) this.totMean = x;
    const d = x - this.totMean;
    this.totMean += a * d;
    this.totVar = (1 - a) * (this.totVar + a * d * d);
    this.values += 1;
    this.visits[s] = this.visits[s]! + 1;
    if (!(cycle <= this.lastDay[s]!)) {
      // a cycle after the latest one seen in this slot (a clock that goes back adds none)
      this.lastDay[s] = cycle;
      this.days[s] = this.days[s]! + 1;
    }
    this.mean[s] = this.mean[s]! + r / Math.min(this.visits[s]!, this.memoryCycles * (this.visits[s]! / this.days[s]!));
    return out >= 0 && out <= 1 ? out : 0;
  }
}
