// The manual API for work that is not an HTTP request: recordOperation, startOperation and
// measureOperation record otel_health.operation.duration, read back through a reader.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { AggregationTemporality, type Histogram } from '@opentelemetry/sdk-metrics';
import { startHarness, metric, points, type Harness } from '../../support/metrics.js';
import { recordOperation, startOperation, measureOperation } from '../../src/index.js';

const OPERATION = 'otel_health.operation.duration';
const NAME = 'otel_health.operation.name';

let harness: Harness;
before(() => {
  harness = startHarness({ temporality: AggregationTemporality.DELTA });
});
after(async () => {
  await harness.close();
});

interface Row {
  name: unknown;
  errorType: unknown;
  count: number;
  sum: number;
}

/** The operation points recorded since the last collect, sorted, with their attribute keys checked. */
async function collectOperations(): Promise<Row[]> {
  const metrics = await harness.collect();
  const rows = points<Histogram>(metrics, OPERATION).map((p) => {
    for (const k of Object.keys(p.attributes)) assert.ok(k === NAME || k === 'error.type', `unexpected attribute ${k}`);
    return { name: p.attributes[NAME], errorType: p.attributes['error.type'], count: p.value.count, sum: p.value.sum ?? 0 };
  });
  return rows.sort((a, b) => byKey(`${a.name}|${a.errorType ?? ''}`, `${b.name}|${b.errorType ?? ''}`));
}

/** Code-point order, independent of the locale. */
function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class QueueError extends Error {
  override name = 'QueueError';
}

describe('recordOperation', () => {
  test('records seconds with the operation name; failures carry error.type as a string', async () => {
    recordOperation('email.send', 0.25);
    recordOperation('email.send', 0.75);
    recordOperation('email.send', 1.5, new TypeError('bad address'));
    recordOperation('email.send', 2, new QueueError('full'));
    recordOperation('email.send', 3, 'timeout');
    recordOperation('report.build', 120);
    recordOperation('report.build', 0, null); // null is no error
    const metrics = await harness.collect();
    const m = metric(metrics, OPERATION)!;
    assert.equal(m.descriptor.unit, 's');
    const rows = points<Histogram>(metrics, OPERATION).map((p) => ({ attributes: p.attributes, count: p.value.count, sum: p.value.sum }));
    const sortKey = (r: (typeof rows)[number]) => `${r.attributes[NAME]}|${r.attributes['error.type'] ?? ''}`;
    rows.sort((a, b) => byKey(sortKey(a), sortKey(b)));
    assert.deepEqual(rows, [
      { attributes: { [NAME]: 'email.send' }, count: 2, sum: 1 },
      { attributes: { [NAME]: 'email.send', 'error.type': 'QueueError' }, count: 1, sum: 2 },
      { attributes: { [NAME]: 'email.send', 'error.type': 'TypeError' }, count: 1, sum: 1.5 },
      { attributes: { [NAME]: 'email.send', 'error.type': 'timeout' }, count: 1, sum: 3 },
      { attributes: { [NAME]: 'report.build' }, count: 2, sum: 120 },
    ]);
    for (const r of rows) {
      const t = r.attributes['error.type'];
      assert.ok(t === undefined || typeof t === 'string');
    }
    // Operation buckets reach minutes: the 120 s report is not in the overflow bucket.
    const report = points<Histogram>(metrics, OPERATION).find((p) => p.attributes[NAME] === 'report.build' && p.value.max === 120)!;
    const { boundaries, counts } = report.value.buckets;
    assert.ok(boundaries.at(-1)! >= 120, `bounds ${boundaries}`);
    assert.equal(counts.at(-1), 0);
  });

  test('bad input is ignored without throwing', async () => {
    const bad: [unknown, unknown][] = [
      ['nan', NaN],
      ['negative', -1],
      ['infinite', Infinity],
      ['minus-infinite', -Infinity],
      ['string-duration', '0.5'],
      ['undefined-duration', undefined],
      ['', 0.5],
      [undefined, 0.5],
      [42, 0.5],
      [null, 0.5],
      [{ toString: () => 'object' }, 0.5],
    ];
    for (const [name, duration] of bad) {
      assert.doesNotThrow(() => recordOperation(name as string, duration as number));
      assert.doesNotThrow(() => recordOperation(name as string, duration as number, new Error('x')));
    }
    assert.doesNotThrow(() => recordOperation('ok-op', 0.1, { weird: true }));
    assert.doesNotThrow(() => recordOperation('ok-op', 0.1, Object.create(null)));
    const rows = await collectOperations();
    assert.deepEqual(
      rows.map((r) => [r.name, r.errorType, r.count]),
      [['ok-op', '_OTHER', 2]],
      'only the valid recordings (a non-Error error is _OTHER)',
    );
  });

  test('zero seconds is a valid duration', async () => {
    recordOperation('instant', 0);
    assert.deepEqual(await collectOperations(), [{ name: 'instant', errorType: undefined, count: 1, sum: 0 }]);
  });
});

describe('startOperation', () => {
  test('the returned function records once, with the error when given', async () => {
    const ok = startOperation('job.ok');
    const failed = startOperation('job.failed');
    await delay(15); // the work being timed
    ok();
    ok(); // a second call records nothing
    failed(new RangeError('out of range'));
    failed();
    const rows = await collectOperations();
    assert.deepEqual(
      rows.map((r) => [r.name, r.errorType, r.count]),
      [
        ['job.failed', 'RangeError', 1],
        ['job.ok', undefined, 1],
      ],
    );
    for (const r of rows) assert.ok(r.sum >= 0.014 && r.sum < 5, `duration in seconds, got ${r.sum}`);
  });

  test('an empty name records nothing and never throws', async () => {
    const end = startOperation('');
    assert.doesNotThrow(() => end());
    assert.doesNotThrow(() => startOperation(undefined as unknown as string)(new Error('x')));
    assert.deepEqual(await collectOperations(), []);
  });
});

describe('measureOperation', () => {
  test('a resolved result passes through; sync and async work are both timed', async () => {
    const value = await measureOperation('compute.async', async () => {
      await delay(10);
      return { answer: 42 };
    });
    assert.deepEqual(value, { answer: 42 });
    assert.equal(await measureOperation('compute.sync', () => 'sync'), 'sync');
    const rows = await collectOperations();
    assert.deepEqual(
      rows.map((r) => [r.name, r.errorType, r.count]),
      [
        ['compute.async', undefined, 1],
        ['compute.sync', undefined, 1],
      ],
    );
    assert.ok(rows[0]!.sum >= 0.009, `async duration ${rows[0]!.sum}`);
  });

  test('a rejection passes through unchanged and records error.type', async () => {
    const rejection = new QueueError('broker down');
    await assert.rejects(
      measureOperation('consume', async () => {
        await delay(1);
        throw rejection;
      }),
      (error) => error === rejection,
    );
    const thrown = new SyntaxError('bad json');
    await assert.rejects(
      measureOperation('parse', () => {
        throw thrown; // a synchronous throw also becomes the rejection
      }),
      (error) => error === thrown,
    );
    await assert.rejects(
      measureOperation('odd', () => Promise.reject(42)),
      (error) => error === 42,
    );
    await assert.rejects(
      measureOperation('odder', () => Promise.reject(undefined)),
      (error) => error === undefined,
    );
    const rows = await collectOperations();
    assert.deepEqual(
      rows.map((r) => [r.name, r.errorType, r.count]),
      [
        ['consume', 'QueueError', 1],
        ['odder', 'error', 1],
        ['odd', '_OTHER', 1],
        ['parse', 'SyntaxError', 1],
      ],
    );
    for (const r of rows) assert.equal(typeof r.errorType, 'string');
  });

  test('with a bad name the work still runs and its result passes through', async () => {
    assert.equal(await measureOperation('', async () => 'ran'), 'ran');
    const boom = new Error('still thrown');
    await assert.rejects(
      measureOperation('', () => Promise.reject(boom)),
      (error) => error === boom,
    );
    assert.deepEqual(await collectOperations(), []);
  });

  test('many concurrent operations each count once', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        measureOperation(`batch.${i % 4}`, async () => {
          await delay(i % 3);
          if (i % 10 === 0) throw new Error('every tenth fails');
          return i;
        }).catch(() => undefined),
      ),
    );
    const rows = await collectOperations();
    assert.equal(
      rows.reduce((a, r) => a + r.count, 0),
      200,
    );
    assert.equal(
      rows.filter((r) => r.errorType === 'Error').reduce((a, r) => a + r.count, 0),
      20,
    );
    assert.deepEqual([...new Set(rows.map((r) => r.name))], ['batch.0', 'batch.1', 'batch.2', 'batch.3']);
  });
});
