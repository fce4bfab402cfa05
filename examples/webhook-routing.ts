/**
 * Alert routing to a webhook: alerts at ERROR or CRITICAL go to the `hook` sink (a JSON POST);
 * everything else takes the default route (the `otel-log` alert records, printed to the console
 * when no OTLP endpoint is configured). A local receiver on 127.0.0.1 stands in for the webhook
 * target (a pager, a chat bridge); it is excluded from monitoring with `http.ignoreServers`, and
 * `allowHttp` lets the sink post to it over plain http (the default is https only).
 *
 * The service then answers half of its requests with 503: the next check fires `error_rate`, the
 * route sends it to the hook, and the receiver prints what it got. Then the example shuts down.
 *
 * Run: node --import tsx examples/webhook-routing.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setRoute, startHealthMonitoring } from '../src/index.js';
import { printHealth } from './support/session.js';

// The webhook target: prints each notification it receives.
let gotAlert: () => void = () => {};
const alertReceived = new Promise<void>((resolve) => (gotAlert = resolve));
const receiver = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const n = JSON.parse(body) as { service: string; route?: string; alerts: { transition: string; level: string; rule: string; message: string }[] };
    for (const a of n.alerts) console.log(`webhook received: ${a.level} ${a.transition} ${a.rule} from ${n.service} via route ${n.route ?? '-'}: ${a.message}`);
    res.statusCode = 204;
    res.end();
    gotAlert();
  });
});
receiver.listen(0, '127.0.0.1');
await new Promise((resolve) => receiver.once('listening', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const monitor = await startHealthMonitoring({
  serviceName: 'webhook-example',
  checkInterval: 1,
  // Off: a short run on a busy machine should not print CPU or event-loop alerts.
  resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false },
  http: { ignoreServers: [receiver] },
  alerts: {
    sinks: { hook: { type: 'webhook', url: hookUrl, allowHttp: true, timeout: 2, retries: 1 } },
    routes: [{ name: 'page', match: { level: ['ERROR', 'CRITICAL'] }, sinks: ['hook', 'otel-log'] }],
  },
});

// The service: every other order lookup fails with 503.
let n = 0;
const server = http.createServer((req, res) => {
  if (/^\/orders\/\d+$/.test(req.url ?? '')) setRoute(req, '/orders/:id');
  res.statusCode = n++ % 2 === 0 ? 200 : 503;
  res.end();
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
console.log(`serving on http://127.0.0.1:${port}; alerts at ERROR and CRITICAL go to ${hookUrl.replace(/\/hook$/, '/…')}`);

const get = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
  });
const statuses: number[] = [];
for (let i = 1; i <= 10; i++) statuses.push(await get(`/orders/${i}`));
console.log(`GET /orders/1…10 → ${statuses.join(' ')}`);

const m = await monitor.monitorService();
printHealth(m, false);

// The sink posts in the background: wait (at most 5 s) for the receiver.
const waited = await Promise.race([alertReceived.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5_000).unref())]);
if (!waited) {
  console.log('no webhook notification arrived within 5 s');
  process.exitCode = 1;
}

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await monitor.shutdown();
receiver.closeAllConnections();
await new Promise((resolve) => receiver.close(resolve));
