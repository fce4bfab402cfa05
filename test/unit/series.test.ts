// Series buffers histogram values and folds them in batches (RECORD_BATCH): nothing recorded may
// be missing from a drain, whether the buffer is full, part-full or just folded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueType } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { Instrument, RECORD_BATCH, type Series } from '../../src/instrumentation/aggregation/instrument.js';
import { HTTP_DURATION_BOUNDS } from '../../src/instrumentation/aggregation/explicit-histogram.js';
import { drain, getStore } from '../../src/instrumentation/store.js';

function histogramSeries(): Series {
  const instrument = new Instrument(
    { name: 'test.duration', description: '', unit: 's', type: InstrumentType.HISTOGRAM, valueType: ValueType.DOUBLE, bounds: HTTP_DURATION_BOUNDS },
    10,
  );
  return instrument.createSeries({});
}

test('values fold into both histograms every RECORD_BATCH records, and the rest on flush()', () => {
  const series = histogramSeries();
  const total = RECORD_BATCH * 2 + 5;
  let sum = 0;
  for (let i = 1; i <= total; i++) {
    series.record(i / 1000);
    sum += i / 1000;
  }
  assert.equal(series.exponential!.count, RECORD_BATCH * 2, 'two full batches folded as they filled');
  assert.equal(series.explicit!.count, RECORD_BATCH * 2);
  series.flush();
  assert.equal(series.exponential!.count, total);
  assert.equal(series.explicit!.count, total);
  assert.ok(Math.abs(series.exponential!.sum - sum) < 1e-9);
  assert.equal(series.exponential!.min, 0.001);
  assert.equal(series.explicit!.max, total / 1000);
  series.flush();
  assert.equal(series.exponential!.count, total, 'a second flush folds nothing twice');
});

test('resetWindow() drops folded and buffered values alike', () => {
  const series = histogramSeries();
  for (let i = 0; i < 3; i++) series.record(0.01);
  series.resetWindow();
  series.flush();
  assert.equal(series.exponential!.count, 0);
  assert.equal(series.explicit!.count, 0);
  assert.equal(series.touched, false);
});

test('a drain hands every target the buffered values of a part-full batch', () => {
  const store = getStore();
  const series = store.operations.duration.createSeries({ 'test.case': 'series-batch' });
  const seen: number[] = [];
  const target = { accept: (_: unknown, s: Series) => void (s === series && seen.push(s.exponential!.count, s.explicit!.count)) };
  store.targets.add(target);
  try {
    for (let i = 0; i < 3; i++) series.record(0.02);
    drain(store);
    assert.deepEqual(seen, [3, 3]);
  } finally {
    store.targets.delete(target);
  }
});
