/**
 * Context novelty (issue 13): how new is the sequence of the last few quantized values? See the
 * module comment of ../anomaly.ts for the method, sources, memory bound and bad-input behaviour.
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
  /** Smallest order counted in the novelty level. */
  minOrder: number;
  /** Window, in points, of the exponentially decayed histogram of novelty levels. */
  window: number;
  /** Tail probability mapped to score 1: score = min(1, −log10(p) / tailDecades). 0 → 1 − p. */
  tailDecades: number;
  /**
   * Weight of the novelty level: the tail probability p of a point whose level is k is multiplied
   * by (maxOrder / k)^levelPower, so a point whose shortest new context is long (a new order-4
   * sequence of known values) needs to be much rarer than a new value to score as high (0: off).
   */
  levelPower: number;
  /**
   * Run novelty: a run of one code that becomes longer than runFactor × the longest earlier
   * (finished) run of that code, and at least runMin points long, adds runWeight novelty levels
   * (capped at maxOrder) to the point where that happens, once per run (0: off). A code with no
   * earlier finished run never counts, so a constant series stays at 0.
   */
  runWeight: number;
  runFactor: number;
  runMin: number;
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
  private readonly levelPower: number;
  private readonly runWeight: number;
  private readonly runFactor: number;
  private readonly runMin: number;
  /** Longest finished run of each code (codes < 256). */
  private readonly maxRun = new Uint32Array(256);
  private runCode = 0;
  private runLen = 0;
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
    this.levelPower = Math.max(0, o.levelPower);
    this.runWeight = Math.max(0, Math.floor(o.runWeight));
    this.runFactor = Math.max(1, o.runFactor);
    this.runMin = Math.max(1, Math.floor(o.runMin));
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
      if (order > 1 && order - 2 >= this.filled) break;
      const prev = order === 1 ? c : history[order - 2]!;
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

  /** Rarity in [0, 1] of the novelty of x (its new contexts, a run longer than usual); then learns x. */
  score(x: number): number {
    const stamp = (this.n & 0xffffff) << 8;
    const c = this.code(x);
    let novel = this.contexts(c, this.history, stamp);
    // run novelty: the current run of code c against the longest earlier run of c
    if (c === this.runCode) this.runLen += 1;
    else {
      if (this.runLen > this.maxRun[this.runCode]!) this.maxRun[this.runCode] = this.runLen;
      this.runCode = c;
      this.runLen = 1;
    }
    if (this.runWeight > 0) {
      const longest = this.maxRun[c]!;
      if (longest > 0 && this.runLen === Math.max(this.runMin, Math.floor(this.runFactor * longest) + 1)) {
        novel = Math.min(this.maxOrder, novel + this.runWeight);
      }
    }
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
    let p = (tail + 0.5) / (total + 1);
    if (this.levelPower > 0) p = Math.min(1, p * Math.pow(this.maxOrder / novel, this.levelPower));
    const out = this.tailDecades > 0 ? -Math.log10(p) / this.tailDecades : 1 - p;
    return out > 1 ? 1 : out > 0 ? out : 0;
  }
}
