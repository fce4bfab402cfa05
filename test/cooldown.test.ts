/**
 * Unit tests of the cooldown stage (src/alerts/cooldown.ts) with explicit `now` values: no
 * timers, no clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cooldown } from '../src/alerts/cooldown.js';
import { MonitoringLevel, type AlertTransition } from '../src/evaluator/types.js';

const T0 = 1_700_000_000_000;
const s = (seconds: number): number => T0 + seconds * 1000;

function transition(
  kind: AlertTransition['kind'],
  at: number,
  fingerprint = 'aaaaaaaaaaaaaaaa',
  level = MonitoringLevel.ERROR,
): AlertTransition {
  return {
    kind,
    at,
    alert: {
      rule: 'error_rate',
      level,
      state: kind === 'resolved' ? 'resolved' : 'firing',
      value: 0.2,
      threshold: 0.1,
      serviceId: 'checkout',
      fingerprint,
      startsAt: at,
      message: 'checkout: error rate 20% ≥ 10% for 0s',
    },
  };
}

/** Feed transitions `[kind, seconds]` to one Cooldown; the admitted flags. */
function run(cooldown: Cooldown, steps: [AlertTransition['kind'], number, string?][]): boolean[] {
  return steps.map(([kind, seconds, fingerprint]) => cooldown.admit(transition(kind, s(seconds), fingerprint), s(seconds)));
}

describe('Cooldown', () => {
  it('notifies a first firing and its resolve', () => {
    assert.deepEqual(run(new Cooldown(300), [['firing', 0], ['resolved', 30]]), [true, true]);
  });

  it('holds back a repeat firing within the cooldown, and the resolve that ends it', () => {
    assert.deepEqual(
      run(new Cooldown(300), [
        ['firing', 0],
        ['resolved', 30],
        ['firing', 60],
        ['resolved', 90],
      ]),
      [true, true, false, false],
    );
  });

  it('measures the cooldown from the last notified firing, not from the held-back one', () => {
    assert.deepEqual(
      run(new Cooldown(300), [
        ['firing', 0],
        ['resolved', 10],
        ['firing', 250], // held back: 250 s after the notified firing
        ['resolved', 260],
        ['firing', 310], // notified: 310 s after the notified firing, though 60 s after the held-back one
        ['resolved', 320],
      ]),
      [true, true, false, false, true, true],
    );
  });

  it('the boundary: a firing exactly `cooldown` seconds later is notified, a millisecond earlier is not', () => {
    const early = new Cooldown(300);
    early.admit(transition('firing', s(0)), s(0));
    early.admit(transition('resolved', s(1)), s(1));
    assert.equal(early.admit(transition('firing', s(300) - 1), s(300) - 1), false);

    const exact = new Cooldown(300);
    exact.admit(transition('firing', s(0)), s(0));
    exact.admit(transition('resolved', s(1)), s(1));
    assert.equal(exact.admit(transition('firing', s(300)), s(300)), true);
  });

  it('keeps fingerprints apart', () => {
    assert.deepEqual(
      run(new Cooldown(300), [
        ['firing', 0, 'a'],
        ['firing', 1, 'b'],
        ['resolved', 2, 'a'],
        ['firing', 3, 'a'], // held back
        ['resolved', 4, 'b'], // b's own resolve: notified
        ['firing', 5, 'b'], // held back
        ['resolved', 6, 'a'], // ends a's held-back episode
        ['resolved', 7, 'b'],
      ]),
      [true, true, true, false, true, false, false, false],
    );
  });

  it('an escalation always passes; escalating a held-back alert restarts its cooldown and lets its resolve through', () => {
    const cooldown = new Cooldown(300);
    assert.deepEqual(
      run(cooldown, [
        ['firing', 0],
        ['escalated', 5], // of a notified alert: passes
        ['resolved', 10],
        ['firing', 20], // held back
        ['escalated', 25], // news: passes, and the episode is now notified
        ['resolved', 30], // so its end is notified too
        ['firing', 310], // 310 s after the first firing, but 285 s after that escalation: held back
        ['resolved', 320],
        ['firing', 330], // 305 s after the escalation at 25 s: notified
      ]),
      [true, true, true, false, true, true, false, false, true],
    );
  });

  it('an escalation of a notified alert does not restart the cooldown', () => {
    assert.deepEqual(
      run(new Cooldown(300), [
        ['firing', 0],
        ['escalated', 200],
        ['resolved', 210],
        ['firing', 301], // 301 s after the firing (the escalation at 200 s does not count)
      ]),
      [true, true, true, true],
    );
  });

  it('cooldown 0 holds nothing back', () => {
    assert.deepEqual(
      run(new Cooldown(0), [
        ['firing', 0],
        ['resolved', 0],
        ['firing', 0],
        ['resolved', 0],
      ]),
      [true, true, true, true],
    );
  });

  it('a resolve with no firing seen (e.g. after a restart) is notified', () => {
    assert.equal(new Cooldown(300).admit(transition('resolved', s(0)), s(0)), true);
  });

  it('a clock that steps backwards does not hold alerts back for longer than the cooldown', () => {
    const cooldown = new Cooldown(300);
    assert.equal(cooldown.admit(transition('firing', s(1000)), s(1000)), true);
    assert.equal(cooldown.admit(transition('resolved', s(1001)), s(1001)), true);
    // Wall clock stepped back by an hour: "now" is before the last firing.
    assert.equal(cooldown.admit(transition('firing', s(-2600)), s(-2600)), true);
    // The cooldown now counts from the new time.
    assert.equal(cooldown.admit(transition('resolved', s(-2590)), s(-2590)), true);
    assert.equal(cooldown.admit(transition('firing', s(-2500)), s(-2500)), false);
  });

  it('prune forgets fingerprints whose cooldown ended (bounded memory) without changing decisions', () => {
    const cooldown = new Cooldown(300);
    const size = (): number => (cooldown as unknown as { lastFired: Map<string, number> }).lastFired.size;
    for (let i = 0; i < 100; i++) {
      cooldown.admit(transition('firing', s(i), `fp${i}`), s(i));
      cooldown.admit(transition('resolved', s(i + 1), `fp${i}`), s(i + 1));
    }
    assert.equal(size(), 100);
    cooldown.prune(s(350)); // fp0..fp49 fired more than 300 s before
    assert.equal(size(), 50);
    // Still inside its cooldown: held back as before pruning.
    assert.equal(cooldown.admit(transition('firing', s(351), 'fp99'), s(351)), false);
    cooldown.prune(s(10_000));
    assert.equal(size(), 1, 'only the held-back episode is remembered');
    // Pruned: notified as a first firing.
    assert.equal(cooldown.admit(transition('firing', s(10_001), 'fp0'), s(10_001)), true);
  });

  it('markNotified (a repeat of a still-firing alert was sent) lets its resolve through and restarts the cooldown', () => {
    const cooldown = new Cooldown(300);
    assert.deepEqual(
      run(cooldown, [
        ['firing', 0],
        ['resolved', 10],
        ['firing', 20], // held back
      ]),
      [true, true, false],
    );
    cooldown.markNotified('aaaaaaaaaaaaaaaa', s(100));
    assert.deepEqual(
      run(cooldown, [
        ['resolved', 110], // the repeat made the episode known: its end is news
        ['firing', 350], // 250 s after the repeat (350 s after the last firing): held back
        ['resolved', 360],
        ['firing', 401], // 301 s after the repeat: notified
      ]),
      [true, false, false, true],
    );
  });

  it('prune keeps a held-back episode, so its resolve stays held back however late it comes', () => {
    const cooldown = new Cooldown(300);
    assert.deepEqual(
      run(cooldown, [
        ['firing', 0],
        ['resolved', 10],
        ['firing', 20], // held back, then fires for hours
      ]),
      [true, true, false],
    );
    cooldown.prune(s(7200));
    assert.equal(cooldown.admit(transition('resolved', s(7200)), s(7200)), false);
    // And after that episode, the next firing is notified (its cooldown ended long ago).
    assert.equal(cooldown.admit(transition('firing', s(7300)), s(7300)), true);
  });
});
