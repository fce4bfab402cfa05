import http from 'node:http';
const mode = process.argv[2];
let stop = async () => {};
if (mode === 'noop') {
  const dc = await import('node:diagnostics_channel');
  const f = () => {};
  dc.subscribe('http.server.request.start', f); dc.subscribe('http.server.response.finish', f); dc.subscribe('net.server.socket', f);
} else if (mode === 'symbols') {
  const dc = await import('node:diagnostics_channel');
  const S = Symbol.for('a'), K = Symbol.for('b');
  dc.subscribe('http.server.request.start', (m) => { m.request[S] = performance.now(); m.request[K] = 1; });
  dc.subscribe('http.server.response.finish', (m) => { m.request[S] = undefined; });
} else if (mode.startsWith('abl-')) {
  const { acquireInstrumentation } = await import('../../src/instrumentation/index.ts');
  const { HttpInstrumentation } = await import('../../src/instrumentation/http/http-instrumentation.ts');
  const { Series } = await import('../../src/instrumentation/aggregation/instrument.ts');
  const { ExponentialHistogram } = await import('../../src/instrumentation/aggregation/exponential-histogram.ts');
  const { ExplicitHistogram } = await import('../../src/instrumentation/aggregation/explicit-histogram.ts');
  const P = HttpInstrumentation.prototype;
  if (mode === 'abl-all') { Series.prototype.record = function () {}; P.routeOf = function () { return undefined; }; P.trackPending = function () {}; P.untrackPending = function () {}; }
  if (mode === 'abl-record') Series.prototype.record = function () {};
  if (mode === 'abl-expo') ExponentialHistogram.prototype.record = function () {};
  if (mode === 'abl-explicit') ExplicitHistogram.prototype.record = function () {};
  if (mode === 'abl-route') P.routeOf = function () { return undefined; };
  if (mode === 'abl-pending') { P.trackPending = function () {}; P.untrackPending = function () {}; }
  const h = acquireInstrumentation(); stop = async () => h.release();
} else if (mode === 'instr') {
  const { acquireInstrumentation } = await import('../../src/instrumentation/index.ts');
  const h = acquireInstrumentation(); stop = async () => h.release();
} else if (mode === 'full15') {
  const { startHealthMonitoring } = await import('../../src/index.ts');
  const m = await startHealthMonitoring({ serviceName: 'x' });
  stop = () => m.shutdown();
} else if (mode === 'full' || mode === 'full-noexport' || mode === 'full-nohost') {
  if (mode === 'full-noexport') delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const { startHealthMonitoring } = await import('../../src/index.ts');
  const m = await startHealthMonitoring({ serviceName: 'x', checkInterval: 1, hostMetrics: mode !== 'full-nohost' });
  stop = () => m.shutdown();
}
const s = http.createServer((req, res) => res.end('hello'));
s.listen(0, '127.0.0.1', () => process.send({ port: s.address().port }));
let c0;
process.on('message', async (msg) => {
  if (msg === 'start') { c0 = process.cpuUsage(); process.send('ok'); }
  if (msg === 'end') { const c = process.cpuUsage(c0); process.send({ cpu: c.user + c.system }); await stop(); process.exit(0); }
});
