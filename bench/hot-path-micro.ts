/**
 * Micro-benchmark of otel-health's own per-request JavaScript: the request-start and
 * response-finish subscribers called directly with node's own IncomingMessage / ServerResponse
 * objects, against an empty loop doing the same object setup. Interleaved rounds; prints the
 * median ns per request of each and their difference. It leaves out diagnostics_channel's
 * publish and node's http work, which the HTTP benchmark (bench/http-overhead.ts) includes.
 *
 *   node --import tsx bench/hot-path-micro.ts [--rounds 7] [--requests 200000] [--routed]
 *
 * --routed: every request looks like one an Express 5 app routed through a router mounted at a
 * fixed path (`req.app`, `req.baseUrl = '/api'`, `req.route.path = '/items/:id'`), so the
 * finish subscriber resolves `http.route` from them. Without it requests are un-routed.
 */
import http from 'node:http';
import net from 'node:net';
import diagnosticsChannel from 'node:diagnostics_channel';
import os from 'node:os';
import express from 'express';
import { acquireInstrumentation } from '../src/instrumentation/index.js';
import { HealthMetricProducer } from '../src/instrumentation/producer.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const rounds = arg('rounds', 7);
const requests = arg('requests', 200_000);
const routed = process.argv.includes('--routed');

// The app whose router stack a routed request's baseUrl is checked against (once per baseUrl).
const app = express();
const api = express.Router();
api.get('/items/:id', (_req, res) => void res.end());
app.use('/api', api);
const route = { path: '/items/:id' };

const server = http.createServer();
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const socket = new net.Socket();
(socket as unknown as { server: net.Server }).server = server;
const start = diagnosticsChannel.channel('http.server.request.start');
const finish = diagnosticsChannel.channel('http.server.response.finish');

function makePair(): { request: http.IncomingMessage; response: http.ServerResponse } {
  const request = new http.IncomingMessage(socket);
  request.method = 'GET';
  request.url = '/';
  if (routed) {
    // Own properties here; Express puts `app` on the request's prototype and sets the others.
    Object.assign(request, { app, baseUrl: '/api', route, url: '/api/items/42' });
  }
  const response = new http.ServerResponse(request);
  response.statusCode = 200;
  return { request, response };
}

/** ns per request of `requests` start+finish publishes (or just the setup when `withChannels` is false). */
function run(withChannels: boolean): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) {
    const { request, response } = makePair();
    if (withChannels) {
      start.publish({ request, response, socket, server });
      finish.publish({ request, response, socket, server });
    }
  }
  return Number(process.hrtime.bigint() - t0) / requests;
}

const handle = acquireInstrumentation();
const producer = new HealthMetricProducer({ runtimeMetrics: false });
const baseline: number[] = [];
const instrumented: number[] = [];
run(true);
run(false); // warm both paths
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    baseline.push(run(false));
    instrumented.push(run(true));
  } else {
    instrumented.push(run(true));
    baseline.push(run(false));
  }
  await producer.collect(); // drain, as a reader would between windows
}
handle.release();
producer.shutdown();
server.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const diffs = instrumented.map((v, i) => v - baseline[i]!);
console.log(`node ${process.version}, ${os.cpus()[0]?.model}, ${os.cpus().length} cores; ${rounds} rounds × ${requests} requests${routed ? ', routed (Express 5 app, /api + /items/:id)' : ''}`);
console.log(`setup only (IncomingMessage + ServerResponse): median ${median(baseline).toFixed(0)} ns/request`);
console.log(`setup + start/finish publish to otel-health:   median ${median(instrumented).toFixed(0)} ns/request`);
console.log(`otel-health's subscribers + publish:           median ${median(diffs).toFixed(0)} ns/request (per-round differences, min ${Math.min(...diffs).toFixed(0)}, max ${Math.max(...diffs).toFixed(0)})`);
