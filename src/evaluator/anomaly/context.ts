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
    this.hist = new Float64Array(this.maxOrder + 1);
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
  score(x: number): number {
    const stamp = (this.n & 0xffffff) << 8;
    const c = this.code(x);
    const novel = this.contexts(c, this.history, stamp);
    const counted = this.filled >= this.maxOrder - 1;
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
    if (novel === 0 || total <= 0) return 0;
    const p = (tail + 0.5) / (total + 1);
    const out = this.tailDecades > 0 ? -Math.log10(p) / this.tailDecades : 1 - p;
    return out > 1 ? 1 : out > 0 ? out : 0;
  }
}
