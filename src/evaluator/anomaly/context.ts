/**
 * Context novelty (issue 13, second step): how new is the sequence of the last few quantized
 * values? See the module comment of ../anomaly.ts for the method, sources and memory bound.
 */

export interface ContextNoveltyOptions {
  /** Quantization levels of the value inside its running range. */
  levels: number;
  /** Longest context: sequences of 1..maxOrder quantized values ending at the point. */
  maxOrder: number;
  /** log2 of the pattern table's slots (each slot: 4 + 4 bytes). */
  tableBits: number;
  /** Occurrences before a pattern counts as known. */
  minCount: number;
  /** Smallest order counted in the novelty fraction. */
  minOrder: number;
  /** Window, in points, of the exponentially decayed histogram of novelty levels. */
  window: number;
  /** Tail probability mapped to score 1: score = min(1, −log10(tail) / tailDecades). 0 → 1 − tail. */
  tailDecades: number;
  /** p of a point with novelty level k is multiplied by (top / k)^levelPower (0: off). */
  levelPower?: number;
  /** Second, longer histogram window (0: off); p = p1^(1 − w2Weight) · p2^w2Weight. */
  window2?: number;
  w2Weight?: number;
  /** Time-of-day buckets per day for the time context (0: off). */
  todBuckets?: number;
  /** Quantization levels of the time context's value code (0: same as levels). */
  todLevels?: number;
  /** Time context includes the day of the week. */
  todWeek?: boolean;
}

const PROBES = 8;

export class ContextNovelty {
  private readonly levels: number;
  private readonly maxOrder: number;
  private readonly minOrder: number;
  private readonly minCount: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;
  /** Low 8 bits: occurrences (saturating); high bits: last point index seen (for eviction). */
  private readonly meta: Uint32Array;
  /** Ring of the last maxOrder − 1 codes. */
  private readonly history: Uint8Array;
  /** Decayed counts of the novelty levels 0..maxOrder seen so far. */
  private readonly hist: Float64Array;
  private readonly decay: number;
  private readonly tailDecades: number;
  private readonly todBuckets: number;
  private readonly todLevels: number;
  private readonly todWeek: boolean;
  private readonly levelPower: number;
  private readonly hist2: Float64Array;
  private readonly decay2: number;
  private readonly w2Weight: number;
  /** Diagnostics: novelty level and code of the last point scored. */
  lastNovel = 0;
  lastCode = 0;
  private filled = 0;
  private n = 0;
  private lo = 0;
  private hi = 0;

  constructor(o: ContextNoveltyOptions) {
    this.levels = Math.max(2, Math.min(84, Math.floor(o.levels))); // 3 · levels codes fit a byte
    this.maxOrder = Math.max(1, Math.min(16, Math.floor(o.maxOrder)));
    this.minOrder = Math.max(1, Math.min(this.maxOrder, Math.floor(o.minOrder)));
    this.minCount = Math.max(1, Math.min(255, Math.floor(o.minCount)));
    const bits = Math.max(6, Math.min(16, Math.floor(o.tableBits)));
    this.mask = (1 << bits) - 1;
    this.keys = new Uint32Array(1 << bits);
    this.meta = new Uint32Array(1 << bits);
    this.history = new Uint8Array(this.maxOrder);
    this.decay = 1 - 1 / Math.max(1, o.window);
    this.tailDecades = o.tailDecades;
    this.todBuckets = Math.max(0, Math.floor(o.todBuckets ?? 0));
    this.todLevels = Math.floor(o.todLevels ?? 0) || this.levels;
    this.todWeek = o.todWeek ?? false;
    this.levelPower = o.levelPower ?? 0;
    this.decay2 = (o.window2 ?? 0) > 0 ? 1 - 1 / o.window2! : 0;
    this.w2Weight = o.w2Weight ?? 0.5;
    this.hist = new Float64Array(this.maxOrder + 1 + (this.todBuckets > 0 ? 1 : 0));
    this.hist2 = new Float64Array(this.hist.length);
  }

  /**
   * Code of x on a grid of `levels` equal bins over the running range [lo, hi]: 1..levels inside
   * it; outside it the grid goes on, bin by bin, for `levels` more bins above (levels + 1 ..
   * 2·levels) and below (2·levels + 1 .. 3·levels), the last bin taking everything further out.
   * A far spike thus gets a code never seen before, a small new maximum the code next to the range.
   */
  private code(x: number): number {
    const levels = this.levels;
    if (this.n === 0) return 1;
    const span = this.hi - this.lo;
    if (!(span > 0) || !Number.isFinite(span)) {
      return x > this.hi ? levels + 1 : x < this.lo ? 2 * levels + 1 : 1;
    }
    const width = span / levels;
    if (x > this.hi) {
      const k = Math.floor((x - this.hi) / width);
      return levels + 1 + (k < levels - 1 ? k : levels - 1); // NaN (∞ − ∞) compares false: last bin
    }
    if (x < this.lo) {
      const k = Math.floor((this.lo - x) / width);
      return 2 * levels + 1 + (k < levels - 1 ? k : levels - 1);
    }
    const q = Math.floor((x - this.lo) / width);
    return 1 + (q >= levels ? levels - 1 : q < 0 ? 0 : q);
  }

  /** Looks up key (≠ 0), counts it; returns its count before this point. */
  private touch(key: number, stamp: number): number {
    const slot = (key ^ (key >>> 15)) & this.mask;
    let found = -1;
    let victim = slot;
    let victimAge = -1;
    for (let p = 0; p < PROBES; p++) {
      const s = (slot + p) & this.mask;
      const k = this.keys[s]!;
      if (k === key) {
        found = s;
        break;
      }
      if (k === 0) {
        victim = s;
        break;
      }
      const age = (stamp - (this.meta[s]! & 0xffffff00)) >>> 0;
      if (age > victimAge) {
        victimAge = age;
        victim = s;
      }
    }
    let count = 0;
    if (found >= 0) count = this.meta[found]! & 0xff;
    else {
      found = victim;
      this.keys[found] = key;
    }
    this.meta[found] = stamp | (count < 255 ? count + 1 : 255);
    return count;
  }

  /** Looks up and counts the contexts of code c with `history`; returns how many were novel. */
  private contexts(c: number, history: Uint8Array, stamp: number): number {
    let h = 0x811c9dc5;
    let novel = 0;
    for (let order = 1; order <= this.maxOrder; order++) {
      const prev = order === 1 ? c : order - 2 < this.filled ? history[order - 2]! : -1;
      if (prev < 0) break;
      h = Math.imul(h ^ (prev + 1), 0x01000193) >>> 0;
      const key = (Math.imul(h ^ order, 0x9e3779b1) | 1) >>> 0;
      const slot = (key ^ (key >>> 15)) & this.mask;
      let found = -1;
      let victim = slot;
      let victimAge = -1;
      for (let p = 0; p < PROBES; p++) {
        const s = (slot + p) & this.mask;
        const k = this.keys[s]!;
        if (k === key) {
          found = s;
          break;
        }
        if (k === 0) {
          victim = s;
          break;
        }
        const age = (stamp - (this.meta[s]! & 0xffffff00)) >>> 0;
        if (age > victimAge) {
          victimAge = age;
          victim = s;
        }
      }
      let count = 0;
      if (found >= 0) count = this.meta[found]! & 0xff;
      else {
        found = victim;
        this.keys[found] = key;
      }
      if (order >= this.minOrder && count < this.minCount) novel += 1;
      this.meta[found] = stamp | (count < 255 ? count + 1 : 255);
    }
    return novel;
  }

  /** Rarity in [0, 1] of the number of novel contexts ending at x; then learns them. */
  score(x: number, t?: number): number {
    const stamp = (this.n & 0xffffff) << 8;
    const c = this.code(x);
    let novel = this.contexts(c, this.history, stamp);
    if (this.todBuckets > 0 && t !== undefined && Number.isFinite(t)) {
      const day = Math.floor(t / 86_400_000);
      const b = Math.floor(((t - day * 86_400_000) / 86_400_000) * this.todBuckets);
      const dow = this.todWeek ? (((day + 4) % 7) + 7) % 7 : 7;
      const cc = Math.ceil((c * this.todLevels) / this.levels);
      let h = Math.imul(0x85ebca6b ^ (b + 1), 0x01000193) >>> 0;
      h = Math.imul(h ^ (dow + 1), 0x01000193) >>> 0;
      h = Math.imul(h ^ (cc + 1), 0x01000193) >>> 0;
      const key = (Math.imul(h ^ 0xabc, 0x9e3779b1) | 1) >>> 0;
      if (this.touch(key, stamp) < this.minCount && this.n > 0) novel += 1;
    }
    const counted = this.filled >= this.maxOrder - 1;
    this.lastNovel = novel;
    this.lastCode = c;
    // learn: history and range
    for (let i = this.maxOrder - 1; i > 0; i--) this.history[i] = this.history[i - 1]!;
    this.history[0] = c;
    if (this.filled < this.maxOrder) this.filled += 1;
    if (this.n === 0) {
      this.lo = x;
      this.hi = x;
    } else {
      if (x > this.hi) this.hi = x;
      if (x < this.lo) this.lo = x;
    }
    this.n += 1;
    if (!counted) return 0;
    // rarity of this novelty level among the levels seen before it (tail probability)
    let total = 0;
    let tail = 0;
    const top = this.hist.length - 1;
    for (let j = 0; j <= top; j++) {
      const v = this.hist[j]!;
      total += v;
      if (j >= novel) tail += v;
    }
    for (let j = 0; j <= top; j++) this.hist[j] = this.hist[j]! * this.decay;
    this.hist[novel] = this.hist[novel]! + 1;
    let p2 = 1;
    if (this.decay2 > 0) {
      let t2 = 0;
      let n2 = 0;
      for (let j = 0; j <= top; j++) {
        const v = this.hist2[j]!;
        n2 += v;
        if (j >= novel) t2 += v;
        this.hist2[j] = v * this.decay2;
      }
      this.hist2[novel] = this.hist2[novel]! + 1;
      p2 = (t2 + 0.5) / (n2 + 1);
    }
    if (novel === 0 || total <= 0) return 0;
    let p = (tail + 0.5) / (total + 1);
    if (this.decay2 > 0) p = Math.pow(p, 1 - this.w2Weight) * Math.pow(p2, this.w2Weight);
    if (this.levelPower > 0) p = Math.min(1, p * Math.pow(top / novel, this.levelPower));
    const out = this.tailDecades > 0 ? -Math.log10(p) / this.tailDecades : 1 - p;
    return out > 1 ? 1 : out > 0 ? out : 0;
  }
}
