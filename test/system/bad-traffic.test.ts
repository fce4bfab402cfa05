// Bad traffic (issue 6, short version): a server child (node:http with setRoute templates, and an
// Express app with parameterised routes) under --expose-gc takes a seeded random mix of 14,000
// operations: over 10,000 well-formed requests with distinct random paths and query strings and
// every method llhttp accepts (most of them `_OTHER` to the conventions), and made-up method
// tokens it rejects, CONNECT, oversized and malformed headers, aborted, half-open, truncated and
// idle connections. First with the instrumentation off, then on, in the same child: the heap
// figures of both are printed. Long version: bench/reliability/cases/bad-traffic.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../../support/http.js';
import {
  ACTIVE,
  DURATION,
  GEN_ROUTES,
  MiB,
  TrafficServer,
  mib,
  sendBadTraffic,
  sumOfPoints,
  violations,
  type MemoryFigure,
  type TrafficResult,
} from '../../support/bad-traffic.js';

const SEED = Number(process.env.BAD_TRAFFIC_SEED ?? 6);
/** Operations per phase: about 76 % are well-formed requests, so over 10,000 of them with distinct targets. */
const TOTAL = 14_000;
/**
 * Heap growth (after gc) allowed to the instrumentation beyond the same traffic without it. The
 * traffic hits the 2,000-series cap of http.server.request.duration (2,500 setRoute templates),
 * so this is the instrumentation's worst case: 2,000 series of two histograms each plus the
 * reader's cumulative copy. Measured 1.3 to 3.4 MiB on Node 20 and 22; the bound leaves room
 * for the GC's and the JIT's moods.
 */
const INSTRUMENTATION_HEAP_BOUND = 16 * MiB;

function describeTraffic(label: string, t: TrafficResult): string {
  const kinds = Object.entries(t.byKind)
    .map(([kind, k]) => `${kind} ${k.sent}`)
    .join(', ');
  return `${label}: ${t.total} operations (seed ${t.seed}) in ${(t.ms / 1000).toFixed(1)} s; ${t.distinctTargets} distinct request targets, ${t.distinctMethods} distinct method tokens; ${kinds}`;
}

const growth = (before: MemoryFigure, after: MemoryFigure) => ({ heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss });

test('10,000+ distinct requests and bad connections: series capped, active requests back to 0, only templates and known methods, memory bounded, still serving', async () => {
  const server = await TrafficServer.start();
  try {
    const ports = { nodePort: server.nodePort, expressPort: server.expressPort };

    // Instrumentation off: a warm-up (JIT, Express's caches, socket pools), then the measured run.
    await sendBadTraffic({ ...ports, total: 1000, seed: SEED + 1 });
    assert.equal(await server.settle(), 0, 'every connection closed after the warm-up');
    const offBefore = await server.memory();
    const off = await sendBadTraffic({ ...ports, total: TOTAL, seed: SEED + 2 });
    assert.equal(await server.settle(), 0, 'every connection closed (instrumentation off)');
    const offAfter = await server.memory();

    // Instrumentation on, same child, same mix (another seed: new paths and templates).
    await server.instrument();
    const onBefore = await server.memory();
    const on = await sendBadTraffic({ ...ports, total: TOTAL, seed: SEED });
    assert.equal(await server.settle(), 0, 'every connection closed (instrumentation on)');
    const summary = await server.metrics();
    const onAfter = await server.memory();

    // Still serving, on both servers.
    assert.equal((await request(server.nodePort, '/gen/7/after?x=1')).status, 200);
    const users = await request(server.expressPort, '/users/after');
    assert.equal(users.status, 200);
    assert.equal(users.body, '{"id":"after"}');

    const offGrowth = growth(offBefore, offAfter);
    const onGrowth = growth(onBefore, onAfter);
    const attributable = onGrowth.heap - offGrowth.heap;
    const duration = summary.instruments.find((i) => i.name === DURATION)!;
    console.log(`# ${describeTraffic('off', off)}`);
    console.log(`# ${describeTraffic('on', on)}`);
    console.log(
      `# node ${process.version}; heap used after gc, MiB: off ${mib(offBefore.heapUsed)} -> ${mib(offAfter.heapUsed)} (${mib(offGrowth.heap)}), ` +
        `on ${mib(onBefore.heapUsed)} -> ${mib(onAfter.heapUsed)} (${mib(onGrowth.heap)}); attributable to the instrumentation ${mib(attributable)} ` +
        `(bound ${mib(INSTRUMENTATION_HEAP_BOUND)})`,
    );
    console.log(
      `# RSS, MiB: off ${mib(offBefore.rss)} -> ${mib(offAfter.rss)} (${mib(offGrowth.rss)}), on ${mib(onBefore.rss)} -> ${mib(onAfter.rss)} (${mib(onGrowth.rss)})`,
    );
    console.log(
      `# series: ${summary.instruments.map((i) => `${i.name} ${i.series}/${i.maxSeries}${i.capped ? ` (capped; a new series refused ${i.overflowed} times)` : ''}`).join('; ')}; ` +
        `requests the handlers saw: ${summary.handled}`,
    );

    // Everything that must hold (shared with the long bench): series at or below the cap and
    // overflow only at the cap, active requests and open connections back to 0, known methods
    // or _OTHER, only registered templates as http.route, no internal errors, nothing uncaught.
    assert.deepEqual(violations(summary), []);

    // And the run did exercise what those checks are about.
    const durationPoints = summary.metrics.find((m) => m.name === DURATION)!.points;
    assert.ok(duration.capped && duration.series === duration.maxSeries, `the ${GEN_ROUTES} templates hit the duration cap: ${JSON.stringify(duration)}`);
    const overflow = durationPoints.find((p) => p.attributes['otel.metric.overflow'] === true);
    assert.ok(overflow !== undefined && overflow.value > 0, 'requests past the cap landed in the overflow series');
    for (const other of summary.instruments.filter((i) => i.name !== DURATION)) assert.equal(other.capped, false, `${other.name} is not capped`);
    const methods = new Set(durationPoints.map((p) => p.attributes['http.request.method']));
    assert.ok(methods.has('_OTHER') && methods.has('GET') && methods.has('PATCH'), `methods seen: ${[...methods].join(', ')}`);
    const errorTypes = new Set(durationPoints.map((p) => p.attributes['error.type']));
    assert.ok(errorTypes.has('aborted') && errorTypes.has('500') && errorTypes.has('503'), `error.type values: ${[...errorTypes].join(', ')}`);
    const routes = new Set(durationPoints.map((p) => p.attributes['http.route']));
    assert.ok(routes.has('/users/:id') && routes.has('/api/items/:id') && routes.has('/files/*path'), `routes: ${[...routes].slice(0, 10).join(', ')}…`);
    assert.equal(sumOfPoints(summary, ACTIVE), 0);

    for (const t of [off, on]) {
      // Well-formed requests were all answered: no resets, no hangs.
      for (const kind of ['express', 'gen', 'random', 'fail'] as const) {
        const k = t.byKind[kind]!;
        assert.equal(k.errors + k.noAnswer, 0, `${kind}: ${JSON.stringify(k)}`);
      }
      // The parser's rejections happened: made-up methods (400), oversized headers (431), CONNECT (closed).
      assert.equal(t.byKind['made-up-method']!.statuses['400'], t.byKind['made-up-method']!.sent);
      assert.ok((t.byKind.oversized!.statuses['431'] ?? 0) > 0, JSON.stringify(t.byKind.oversized));
      assert.equal(t.byKind.connect!.noAnswer, t.byKind.connect!.sent);
      assert.ok((t.byKind.malformed!.statuses['400'] ?? 0) > 0, JSON.stringify(t.byKind.malformed));
      assert.ok(t.distinctTargets >= 10_000, `${t.distinctTargets} distinct targets`);
    }

    assert.ok(attributable < INSTRUMENTATION_HEAP_BOUND, `heap attributable to the instrumentation: ${mib(attributable)} MiB`);
  } finally {
    await server.stop();
  }
});
