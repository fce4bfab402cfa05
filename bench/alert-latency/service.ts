/**
 * One service under test of the alert-latency benchmark: a hello-world `node:http` server on
 * 127.0.0.1 (`/fail` answers 500, anything else 200) monitored by otel-health, whose only alert
 * route is a `webhook` sink to the harness's receiver.
 *
 * Environment (set by run.ts):
 * - ALERT_LATENCY_SERVICE: service.name; ALERT_LATENCY_CHECK_INTERVAL: seconds;
 * - ALERT_LATENCY_WEBHOOK: the receiver URL (http on 127.0.0.1, so `allowHttp`);
 * - optionally OTEL_METRICS_EXPORTER=prometheus with OTEL_EXPORTER_PROMETHEUS_HOST / _PORT, the
 *   scrape endpoint the benchmark's Prometheus instances read.
 *
 * Everything else is otel-health's defaults (thresholds, `for`, recovery, cooldown 300 s,
 * repeatInterval, groupWait/groupInterval 0, inhibition), except `hostMetrics: false` (no rule
 * reads host metrics; it saves CPU on a shared machine) and the route.
 *
 * IPC: sends `{ type: 'ready', port }` once listening; on `{ type: 'stop' }` shuts down and exits.
 * Not meant to be run by hand.
 */
import http from 'node:http';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring } from '../../src/index.js';
import { errorText, sendToParent } from '../parent.js';

if (!process.send) {
  console.error('service.ts is started by bench/alert-latency/run.ts (it needs an IPC channel)');
  process.exit(2);
}

const serviceName = process.env.ALERT_LATENCY_SERVICE ?? 'alert-latency';
const checkInterval = Number(process.env.ALERT_LATENCY_CHECK_INTERVAL ?? '15');
const webhook = process.env.ALERT_LATENCY_WEBHOOK;

async function main(): Promise<void> {
  if (!webhook || new URL(webhook).hostname !== '127.0.0.1') throw new Error('ALERT_LATENCY_WEBHOOK must be a URL on 127.0.0.1');
  const monitor = await startHealthMonitoring({
    serviceName,
    checkInterval,
    hostMetrics: false,
    startupMessage: false,
    // Alert records would go to the console with no OTLP endpoint: keep them in this process.
    loggerProvider: new LoggerProvider(),
    alerts: {
      sinks: { harness: { type: 'webhook', url: webhook, allowHttp: true, timeout: 5 } },
      defaultRoute: { sinks: ['harness'] },
    },
  });
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  // The harness gone (also killed with SIGKILL): no orphan.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type !== 'stop') return;
    server.closeAllConnections();
    server.close();
    const bound = setTimeout(() => process.exit(0), 10_000);
    bound.unref();
    monitor.shutdown().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });
  await sendToParent({ type: 'ready', port });
}

main().catch(async (err: unknown) => {
  await sendToParent({ type: 'error', error: errorText(err) });
  process.exit(1);
});
