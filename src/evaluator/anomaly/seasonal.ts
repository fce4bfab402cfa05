/**
 * Time-of-day residual (issue 13, third step): how far is the value from the usual value at this
 * time of day, on a series whose time-of-day profile explains most of its variance? See the
 * module comment of ../anomaly.ts for the method, parameters and timestamp behaviour.
 */

export interface SeasonalOptions {
  /** Slots per UTC day (48: half-hours). */
  slots: number;
  /**
   * Days a slot's mean averages over: a running mean of its visits, exponentially weighted once it
   * has more than memoryDays × (its visits per day) of them, so the memory is in days whatever the
   * sampling rate (5-minute points: 6 visits a day, 15-second checks: 120).
   */
  memoryDays: number;
  /** Distinct days a slot must have been seen on before it scores. */
  minDays: number;
  /** Share of the variance the profile must explain, 1 − residual variance / total variance. */
  minStrength: number;
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
  private readonly memoryDays: number;
  private readonly minDays: number;
  private readonly minStrength: number;
  private readonly windowDays: number;
  private readonly factor: number;
  /** Per slot: mean, visits, latest UTC day seen, distinct days seen. */
  private readonly mean: Float64Array;
  private readonly visits: Float64Array;
  private readonly lastDay: Float64Array;
  private readonly days: Float64Array;
  /** EW mean square of the residual (value − its slot's mean before the value). */
  private resVar = 0;
  private residuals = 0;
  /** EW mean and variance of the values. */
  private totMean = 0;
  private totVar = 0;
  private values = 0;
  /** Distinct days seen (a day counts when later than the latest one), for points per day. */
  private allDays = 0;
  private latestDay = Number.NaN;

  constructor(o: SeasonalOptions) {
    this.slots = Math.max(1, Math.min(1440, Math.floor(o.slots)));
    this.memoryDays = Math.max(1 / 24, o.memoryDays);
    this.minDays = Math.max(1, o.minDays);
    this.minStrength = o.minStrength;
    this.windowDays = Math.max(1 / 24, o.windowDays);
    this.factor = o.factor;
    this.mean = new Float64Array(this.slots);
    this.visits = new Float64Array(this.slots);
    this.lastDay = new Float64Array(this.slots).fill(Number.NaN);
    this.days = new Float64Array(this.slots);
  }

  /** Score in [0, 1] of x at time t (UTC ms) from the state before it; then learns it. */
  score(x: number, t: number | undefined): number {
    if (t === undefined || !Number.isFinite(t) || !(Math.abs(x) < HUGE)) return 0;
    const day = Math.floor(t / 86_400_000);
    const s = Math.min(this.slots - 1, Math.floor(((t - day * 86_400_000) / 86_400_000) * this.slots));
    const seen = this.visits[s]! > 0;
    const r = x - this.mean[s]!;
    let out = 0;
    if (seen && this.days[s]! >= this.minDays && this.resVar > 0 && this.totVar > 0 && 1 - this.resVar / this.totVar >= this.minStrength) {
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
    if (!(day <= this.lastDay[s]!)) {
      // a day after the latest one seen in this slot (a clock that goes back adds no day)
      this.lastDay[s] = day;
      this.days[s] = this.days[s]! + 1;
    }
    this.mean[s] = this.mean[s]! + r / Math.min(this.visits[s]!, this.memoryDays * (this.visits[s]! / this.days[s]!));
    return out >= 0 && out <= 1 ? out : 0;
  }
}
