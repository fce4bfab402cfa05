import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnomalyDetector } from '../../src/evaluator/anomaly.js';

/** Deterministic noise (a small LCG), so the tests need no Math.random. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function inRange(score: number): void {
  assert.ok(Number.isFinite(score) && score >= 0 && score <= 1, `score ${score} not in [0, 1]`);
}

describe('AnomalyDetector', () => {
  it('scores every point in [0, 1] and is deterministic', () => {
    const run = (): number[] => {
      const r = noise(7);
      const d = new AnomalyDetector();
      const out: number[] = [];
      for (let i = 0; i < 3000; i++) out.push(d.score(100 + 10 * Math.sin(i / 20) + 5 * r() + (i === 2000 ? 80 : 0)));
      return out;
    };
    const a = run();
    a.forEach(inRange);
    assert.deepEqual(run(), a);
    assert.ok(a[2000]! > 0.9, `spike scored ${a[2000]}`);
  });

  it('scores 0 during warm-up', () => {
    const d = new AnomalyDetector({ warmup: 10 });
    for (let i = 0; i < 10; i++) assert.equal(d.score(i % 2 === 0 ? 1 : 1000), 0);
  });

  it('skips NaN and ±Infinity: score 0, not learned, state unchanged', () => {
    const r1 = noise(3);
    const r2 = noise(3);
    const clean = new AnomalyDetector();
    const dirty = new AnomalyDetector();
    for (let i = 0; i < 500; i++) {
      const x = 50 + r1();
      r2();
      if (i % 50 === 0) {
        assert.equal(dirty.score(Number.NaN), 0);
        assert.equal(dirty.score(Number.POSITIVE_INFINITY), 0);
        assert.equal(dirty.score(Number.NEGATIVE_INFINITY), 0);
      }
      assert.equal(dirty.score(x), clean.score(x));
    }
    assert.equal(dirty.learned, 500);
  });

  it('a constant series scores 0 (no division by zero), and so does zero', () => {
    for (const c of [0, 42, -1e9]) {
      const d = new AnomalyDetector();
      for (let i = 0; i < 2000; i++) assert.equal(d.score(c), 0);
    }
  });

  it('a step that stays fires, then learns the new level and the score falls', () => {
    const r = noise(11);
    const d = new AnomalyDetector();
    for (let i = 0; i < 1500; i++) d.score(100 + r());
    const atStep = d.score(150 + r());
    assert.ok(atStep > 0.9, `step scored ${atStep}`);
    let last = 1;
    for (let i = 0; i < 3000; i++) last = d.score(150 + r());
    assert.ok(last < 0.5, `after the new level was learned: ${last}`);
  });

  it('huge values never give NaN or a score outside [0, 1]', () => {
    const d = new AnomalyDetector();
    const r = noise(5);
    const values = [1, 2, Number.MAX_VALUE, -Number.MAX_VALUE, 1e300, -1e300, 3, Number.MIN_VALUE, 0];
    for (let i = 0; i < 2000; i++) inRange(d.score(i < 100 ? r() : values[i % values.length]!));
    for (let i = 0; i < 2000; i++) inRange(d.score(r()));
  });

  it('timestamps on a noisy series: gaps and a clock going backwards give the same scores as none', () => {
    // the time-of-day part scores only series whose time-of-day profile explains ≥ 90 % of the
    // variance; noise has none, so the timestamps change nothing here
    const r = noise(9);
    const xs = Array.from({ length: 1000 }, () => 10 + r());
    const plain = new AnomalyDetector();
    const timed = new AnomalyDetector();
    let t = Date.UTC(2024, 0, 1);
    for (let i = 0; i < xs.length; i++) {
      // a one-hour gap every 100 points, a 10-minute step backwards every 170
      t += i % 100 === 0 ? 3_600_000 : i % 170 === 0 ? -600_000 : 15_000;
      assert.equal(timed.score(xs[i]!, t), plain.score(xs[i]!));
    }
  });

  /** 14 days at `perHour` points an hour: a daily sine, +20 from 10:00 to 14:00 UTC except on day 12. */
  function dailyJumps(withTime: boolean, clock?: (i: number) => number, perHour = 12, options?: ConstructorParameters<typeof AnomalyDetector>[0]): number[] {
    const r = noise(31);
    const d = new AnomalyDetector(options);
    const out: number[] = [];
    const perDay = 24 * perHour;
    for (let i = 0; i < 14 * perDay; i++) {
      const hour = (i % perDay) / perHour;
      const jump = hour >= 10 && hour < 14 && Math.floor(i / perDay) !== 12 ? 20 : 0;
      const t = clock === undefined ? Date.UTC(2024, 0, 1) + (i * 3_600_000) / perHour : clock(i);
      out.push(d.score(50 + 10 * Math.sin((2 * Math.PI * hour) / 24) + jump + 0.5 * r(), withTime ? t : undefined));
    }
    return out;
  }

  it('a daily jump that does not come fires with timestamps (time-of-day residual), at 5-minute or 1-minute points', () => {
    for (const perHour of [12, 60]) {
      const perDay = 24 * perHour;
      const timed = dailyJumps(true, undefined, perHour);
      const plain = dailyJumps(false, undefined, perHour);
      timed.forEach(inRange);
      const missing = (o: number[]): number => Math.max(...o.slice(12 * perDay + 10 * perHour, 12 * perDay + 14 * perHour)); // day 12, 10:00–14:00
      const elsewhere = Math.max(...timed.slice(8 * perDay, 12 * perDay), ...timed.slice(13 * perDay));
      assert.ok(missing(timed) > 0.999 && missing(timed) > elsewhere, `${perHour}/h: missing jump ${missing(timed)}, elsewhere ${elsewhere}`);
      assert.ok(missing(plain) < missing(timed), `${perHour}/h: without timestamps ${missing(plain)}`);
    }
  });

  it('on a strongly daily series, a context novelty its time of day explains (z < 3) is damped', () => {
    const damped = dailyJumps(true);
    const plain = dailyJumps(true, undefined, 12, { explainedZ: 0 });
    const day = 288;
    const outside = (o: number[]): number[] => [...o.slice(8 * day, 12 * day), ...o.slice(13 * day)];
    const a = outside(damped);
    const b = outside(plain);
    assert.ok(a.some((v, i) => v < b[i]!), 'some context score damped');
    assert.ok(Math.max(...a) <= Math.max(...b), `largest false alarm ${Math.max(...a)} vs ${Math.max(...b)} undamped`);
    assert.ok(Math.max(...damped.slice(12 * day + 120, 12 * day + 168)) > 0.999, 'the missing jump still fires');
  });

  it('a working-day bump that does not come on a Wednesday fires with timestamps (time-of-week residual)', () => {
    // 6 weeks of half-hourly points: +20 from 9:00 to 17:00 UTC on weekdays; day 30 (a Wednesday) is a holiday
    const run = (options?: ConstructorParameters<typeof AnomalyDetector>[0]): number[] => {
      const r = noise(41);
      const d = new AnomalyDetector(options);
      const out: number[] = [];
      for (let i = 0; i < 6 * 7 * 48; i++) {
        const day = Math.floor(i / 48);
        const hour = (i % 48) / 2;
        const work = day % 7 < 5 && hour >= 9 && hour < 17 && day !== 30 ? 20 : 0;
        out.push(d.score(50 + work + 0.5 * r(), Date.UTC(2024, 0, 1) + i * 1_800_000)); // 2024-01-01 is a Monday
      }
      return out;
    };
    const holiday = (o: number[]): number => Math.max(...o.slice(30 * 48 + 18, 30 * 48 + 34));
    const withWeek = run();
    const elsewhere = Math.max(...withWeek.slice(21 * 48, 30 * 48), ...withWeek.slice(31 * 48));
    assert.ok(holiday(withWeek) > 0.999 && holiday(withWeek) > elsewhere, `holiday ${holiday(withWeek)}, elsewhere ${elsewhere}`);
    assert.ok(holiday(run({ weekly: null })) < 0.5, 'the daily profile and the contexts alone do not see it');
  });

  it('irregular, missing and backward timestamps: no NaN, scores in [0, 1], deterministic', () => {
    const clock = (i: number): number =>
      i % 500 === 499 ? Number.NaN : Date.UTC(2024, 0, 1) + i * 300_000 + (i % 97 === 0 ? 7_200_000 : 0) - (i % 131 === 0 ? 86_400_000 : 0) + (i > 2000 ? 3 * 86_400_000 : 0);
    const a = dailyJumps(true, clock);
    a.forEach(inRange);
    assert.deepEqual(dailyJumps(true, clock), a);
    const d = new AnomalyDetector();
    const values = [1, Number.MAX_VALUE, -Number.MAX_VALUE, 1e300, 0];
    for (let i = 0; i < 3000; i++) inRange(d.score(i < 2000 ? Math.sin(i / 20) : values[i % values.length]!, Date.UTC(2024, 0, 1) + i * 300_000));
    for (let i = 0; i < 1000; i++) inRange(d.score(Math.sin(i / 20), Date.UTC(2024, 0, 1) - i * 300_000));
  });

  it('a change of rhythm inside the usual range scores above everything before it', () => {
    const r = noise(13);
    const d = new AnomalyDetector();
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const period = i < 2000 ? 100 : 30; // the sine speeds up; its range stays the same
      out.push(d.score(50 + 10 * Math.sin((2 * Math.PI * i) / period) + 0.1 * r()));
    }
    out.forEach(inRange);
    const before = Math.max(...out.slice(500, 2000));
    const after = Math.max(...out.slice(2000, 2100));
    assert.ok(after > before, `after the change ${after}, before ${before}`);
  });

  it('a run of the usual value far longer than any before (a series that goes quiet) fires once', () => {
    // 40 cycles of 70 zeros and a burst of 10 values in [5, 10], then zeros only: the zero run
    // passes twice its longest earlier length (70) at its 141st point
    const run = (options?: ConstructorParameters<typeof AnomalyDetector>[0]): { before: number; quiet: number[] } => {
      const r = noise(21);
      const d = new AnomalyDetector(options);
      const out: number[] = [];
      for (let c = 0; c < 40; c++) {
        for (let i = 0; i < 70; i++) out.push(d.score(0));
        for (let i = 0; i < 10; i++) out.push(d.score(7.5 + 5 * r()));
      }
      const quiet: number[] = [];
      for (let i = 0; i < 300; i++) quiet.push(d.score(0));
      return { before: Math.max(...out.slice(1600)), quiet };
    };
    const { before, quiet } = run();
    quiet.forEach(inRange);
    const top = Math.max(...quiet);
    assert.ok(top > 0.99 && top > before, `quiet period scored ${top}, before it ${before}`);
    assert.equal(quiet.indexOf(top), 140);
    assert.equal(quiet.filter((s) => s > 0.5).length, 1, 'once per run');
    const off = run({ context: { runWeight: 0 } });
    assert.ok(Math.max(...off.quiet) < 0.5, `without run novelty: ${Math.max(...off.quiet)}`);
  });

  it('200,000 random points (the fixed-size context table churns): every score in [0, 1]', () => {
    const r = noise(17);
    const d = new AnomalyDetector();
    for (let i = 0; i < 200_000; i++) inRange(d.score(r() * 1000 + (i % 977)));
  });

  it('range term: a value far outside everything learned scores 1, a second larger one inside the rest period too; off, the step scores lower', () => {
    const run = (spatialTolerance?: number): number[] => {
      const r = noise(7);
      const d = new AnomalyDetector(spatialTolerance === undefined ? {} : { spatialTolerance });
      const out: number[] = [];
      for (let i = 0; i < 300; i++) out.push(d.score(0.042 + 0.004 * r()));
      out.push(d.score(0.4)); // tenfold: far beyond the learned range [0.040, 0.044]
      for (let i = 0; i < 20; i++) out.push(d.score(0.042 + 0.004 * r()));
      out.push(d.score(4)); // larger still, 21 points later (inside the 100-point rest period)
      return out;
    };
    const on = run();
    assert.equal(on[300], 1);
    assert.equal(on[321], 1);
    assert.ok(on.slice(64, 300).every((s) => s < 1), 'no range hit while steady');
    const off = run(0);
    assert.ok(off[300]! < 1 && off[321]! < 1, `without the range term: ${off[300]}, ${off[321]}`);
  });

  it('rejects empty or invalid scales', () => {
    assert.throws(() => new AnomalyDetector({ scales: [] }), RangeError);
    assert.throws(() => new AnomalyDetector({ scales: [0] }), RangeError);
  });
});
