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
} else if (mode.startsWith('step')) {
  // Incremental rebuild of the subscriber work on top of 'symbols' (see run.mjs): step1 adds the
  // second clock read, step2 the server/method lookups and active-request counting, step3 the
  // duration-series lookup and histogram record, step4 the pending-request tracking.
  const n = Number(mode.slice(4));
  const dc = await import('node:diagnostics_channel');
  const { HttpServerMetrics } = await import('../../src/instrumentation/http/http-server-metrics.ts');
  const { methodIndex } = await import('../../src/instrumentation/http/methods.ts');
  const { serverInfo } = await import('../../src/instrumentation/http/server-classifier.ts');
  const metrics = new HttpServerMetrics(2000);
  const S = Symbol.for('a'), K = Symbol.for('b'), P = Symbol.for('p');
  const ports = new Set();
  dc.subscribe('http.server.request.start', (m) => {
    const { request, socket, server } = m;
    let key = 1;
    if (n >= 2) { const info = serverInfo(server, ports); if (info.ignored) return; const method = methodIndex(request.method); key = method * 2 + info.scheme; metrics.activeSeries(method, info.scheme).add(1); }
    request[S] = performance.now(); request[K] = key;
    if (n >= 4) socket[P] = request;
  });
  dc.subscribe('http.server.response.finish', (m) => {
    const { request, response, socket } = m;
    const start = request[S];
    request[S] = undefined;
    if (n >= 1) {
      const key = request[K];
      const seconds = (performance.now() - start) / 1000;
      if (n >= 2) metrics.activeSeries(key >> 1, key & 1).add(-1);
      if (n >= 3) metrics.durationSeries(key >> 1, key & 1, response.statusCode, undefined).record(seconds);
    }
    if (n >= 4 && socket[P] === request) socket[P] = undefined;
  });
} else if (mode === 'ring') {
  // Prototype: finish pushes (duration, key, route) into a process-wide ring of typed arrays;
  // series lookups and histogram records happen in batches of 256.
  const dc = await import('node:diagnostics_channel');
  const { HttpServerMetrics } = await import('../../src/instrumentation/http/http-server-metrics.ts');
  const { methodIndex } = await import('../../src/instrumentation/http/methods.ts');
  const { serverInfo } = await import('../../src/instrumentation/http/server-classifier.ts');
  const { resolveRoute } = await import('../../src/instrumentation/http/routes.ts');
  const metrics = new HttpServerMetrics(2000);
  const S = Symbol.for('a'), K = Symbol.for('b'), P = Symbol.for('p');
  const ports = new Set();
  const CAP = 256; const durs = new Float64Array(CAP); const keys = new Int32Array(CAP); const routes = new Array(CAP).fill(undefined); let n = 0;
  const active = new Int32Array(64);
  const flush = () => { for (let i = 0; i < n; i++) { const k = keys[i]; const key = (k / 1000) | 0; metrics.durationSeries(key >> 1, key & 1, k - key * 1000, routes[i]).record(durs[i]); routes[i] = undefined; } n = 0; };
  dc.subscribe('http.server.request.start', (m) => {
    const { request, socket, server } = m;
    const info = serverInfo(server, ports); if (info.ignored) return;
    const key = methodIndex(request.method) * 2 + info.scheme;
    request[S] = performance.now(); request[K] = key; active[key]++;
    socket[P] = request;
  });
  dc.subscribe('http.server.response.finish', (m) => {
    const { request, response, socket } = m;
    const start = request[S];
    if (start === undefined) return;
    request[S] = undefined;
    const key = request[K];
    active[key]--;
    const i = n;
    durs[i] = (performance.now() - start) / 1000; keys[i] = key * 1000 + response.statusCode; routes[i] = resolveRoute(request);
    if (++n === CAP) flush();
    if (socket[P] === request) socket[P] = undefined;
  });
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
} else if (mode === 'instr-direct') {
  // The instrumentation with histogram records unbatched (one record into both histograms per
  // request), as before RECORD_BATCH: the comparison for the batched record.
  const { acquireInstrumentation } = await import('../../src/instrumentation/index.ts');
  const { Series } = await import('../../src/instrumentation/aggregation/instrument.ts');
  Series.prototype.record = function (value) { this.touched = true; this.exponential.record(value); this.explicit.record(value); };
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
