/**
 * One replica of a service for the Alertmanager sink's system test and the alert-latency
 * benchmark (bench/alert-latency/, where every service process is one of these): a node:http
 * server on 127.0.0.1 monitored by otel-health, whose alerts go to an `alertmanager` sink and,
 * optionally, a direct `webhook` sink (the benchmark compares the two).
 *
 * Environment:
 * - REPLICA_SERVICE (service.name), REPLICA_CHECK_INTERVAL (seconds);
 * - REPLICA_AM_URLS: the Alertmanager members, comma-separated; REPLICA_RESEND_DELAY (seconds);
 *   REPLICA_AM_DEFAULTS=1 keeps the sink's own timeout and backoff (a benchmark measures the sink
 *   as shipped); otherwise they are cut to seconds, for a test that restarts Alertmanager;
 * - REPLICA_WEBHOOK: a direct webhook receiver (http on 127.0.0.1), optional;
 * - REPLICA_OPTIONS: JSON of further startHealthMonitoring options (thresholds, alert settings), optional;
 * - REPLICA_SELF_TRAFFIC=1: the replica sends itself requests (about 100/s); otherwise the
 *   caller sends them.
 * - REPLICA_START_DELAY: ms to wait before monitoring starts, so that replicas' check clocks
 *   have different phases, as replicas started at different times do (default 0);
 * - the standard OTEL_* variables, read by otel-health as in any service (the benchmark sets
 *   OTEL_METRICS_EXPORTER=prometheus on the processes its Prometheus instances scrape).
 *
 * The server answers 500 to `/fail`, and to everything while the fault is on. IPC (the caller's
 * messages): `{ type: 'fault', on }` switches the fault; `{ type: 'stats' }` is answered with
 * `{ type: 'stats', sinks }` (the pipeline's sink counters); `{ type: 'stop' }` shuts down and
 * exits. The replica sends `{ type: 'ready', port }` once listening and `{ type: 'alert', rule,
 * kind, level }` for each transition its pipeline admits. Not meant to be run by hand.
 */
import http from 'node:http';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, type Alert, type AlertTransition, type HealthMonitorOptions } from '../src/index.js';

if (!process.send) {
  console.error('alertmanager-replica.ts is started by a test or benchmark (it needs an IPC channel)');
  process.exit(2);
}
// The caller gone (also killed with SIGKILL): no orphan.
process.on('disconnect', () => process.exit(0));

const env = process.env;
const amUrls = (env.REPLICA_AM_URLS ?? '').split(',').filter((u) => u !== '');
const webhook = env.REPLICA_WEBHOOK;

async function main(): Promise<void> {
  const sinks: Record<string, NonNullable<NonNullable<HealthMonitorOptions['alerts']>['sinks']>[string]> = {};
  if (amUrls.length > 0) {
    // Short retries: an Alertmanager restarted by the test is back within seconds.
    const retries = env.REPLICA_AM_DEFAULTS === '1' ? {} : { timeout: 2, backoff: 0.2, maxBackoff: 1 };
    sinks.am = { type: 'alertmanager', url: amUrls, resendDelay: Number(env.REPLICA_RESEND_DELAY ?? '60'), ...retries };
  }
  if (webhook !== undefined && webhook !== '') sinks.direct = { type: 'webhook', url: webhook, allowHttp: true, timeout: 5 };
  let fault = false;
  const server = http.createServer((req, res) => {
    res.statusCode = fault || req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const startDelay = Number(env.REPLICA_START_DELAY ?? '0');
  if (startDelay > 0) await new Promise((resolve) => setTimeout(resolve, startDelay));
  const options = JSON.parse(env.REPLICA_OPTIONS ?? '{}') as HealthMonitorOptions;
  const monitor = await startHealthMonitoring({
    serviceName: env.REPLICA_SERVICE ?? 'replica',
    checkInterval: Number(env.REPLICA_CHECK_INTERVAL ?? '15'),
    hostMetrics: false,
    startupMessage: false,
    // Alert records would go to the console with no OTLP endpoint: keep them in this process.
    loggerProvider: new LoggerProvider(),
    ...options,
    alerts: { ...options.alerts, sinks, defaultRoute: { sinks: Object.keys(sinks) } },
  });
  monitor.on('alert', (_alert: Alert, t: AlertTransition) => process.send?.({ type: 'alert', rule: t.alert.rule, kind: t.kind, level: t.alert.level }));

  if (env.REPLICA_SELF_TRAFFIC === '1') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const loop = (): void => {
      const req = http.get({ host: '127.0.0.1', port, agent, path: '/' }, (res) => {
        res.resume();
        res.on('end', () => setTimeout(loop, 10).unref());
      });
      req.on('error', () => setTimeout(loop, 50).unref());
    };
    loop();
  }

  process.on('message', (msg: { type?: string; on?: boolean }) => {
    if (msg?.type === 'fault') fault = msg.on === true;
    if (msg?.type === 'stats') process.send?.({ type: 'stats', sinks: monitor.alerting.stats().sinks });
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
  process.send?.({ type: 'ready', port });
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', error: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
