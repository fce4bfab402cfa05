/**
 * The service under test of the outage scenario: a hello-world `node:http` server with
 * `startHealthMonitoring`, exporting metrics and alert log records over OTLP/HTTP to the fault
 * endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), with one custom health check, `outage`, that the
 * scenario turns healthy and unhealthy over IPC so that alerts fire and resolve on a schedule.
 *
 * Every other rule is off and the alert cooldown is 0, so each check transition is one alert
 * record: the scenario then knows exactly which records must reach the endpoint.
 *
 * The LoggerProvider is built with the package's own createLoggerProvider (the one
 * startHealthMonitoring builds when none is given: same processor, same worker exporter) and
 * passed in, only so that this process can read the OTLP log exporter's counters.
 *
 * Environment: OTEL_EXPORTER_OTLP_ENDPOINT (required, on 127.0.0.1), OTEL_METRIC_EXPORT_INTERVAL,
 * RELIABILITY_CHECK_INTERVAL_S (default 1). IPC: ServiceCommand / ServiceMessage in protocol.ts.
 *
 * Not meant to be run by hand: `node --import tsx bench/reliability/service.ts` with an IPC channel.
 */
import http from 'node:http';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { startHealthMonitoring, WorkerLogRecordExporter } from '../../src/index.js';
import { buildResource, createLoggerProvider, type OwnedExporters } from '../../src/providers.js';
import { CHECK_NAME, type HistoryTransition, type ServiceCommand, type ServiceMessage, type ServiceStats } from './protocol.js';
import { errorText, sendToParent } from '../parent.js';

if (!process.send) {
  console.error('service.ts is started by bench/reliability/scenario.ts (it needs an IPC channel)');
  process.exit(2);
}

const SERVICE_NAME = 'reliability-soak';
/** shutdown() of the monitor, then of the LoggerProvider, each bounded by the package itself; this is the outer bound. */
const STOP_BOUND_MS = 15_000;
const RECENT_DIAG = 10;
const MAX_ALERT_EVENTS = 10_000;

/** Messages to the harness, typed for this child. */
const send = (msg: ServiceMessage): Promise<void> => sendToParent(msg);

function checkEndpoint(): void {
  const value = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!value) throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT is not set');
  if (new URL(value).hostname !== '127.0.0.1') throw new Error(`the fault endpoint must be on 127.0.0.1, got ${value}`);
}

/** OTel diag at WARN and above: counted, the last few distinct messages kept (bounded). */
const diagSeen = { warn: 0, error: 0, recent: [] as string[] };
function keepDiag(level: 'warn' | 'error') {
  return (message: string, ...args: unknown[]): void => {
    diagSeen[level]++;
    const text = [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ');
    // The first line is enough to tell messages apart (the SDK logs stacks, also JSON-escaped ones).
    const line = `${level}: ${text.split(/\n|\\n/, 1)[0]}`.slice(0, 200);
    if (diagSeen.recent.includes(line)) return;
    diagSeen.recent.push(line);
    if (diagSeen.recent.length > RECENT_DIAG) diagSeen.recent.shift();
  };
}
const noop = (): void => undefined;
diag.setLogger({ error: keepDiag('error'), warn: keepDiag('warn'), info: noop, debug: noop, verbose: noop }, DiagLogLevel.WARN);

/**
 * The numeric getters an exporter exposes (droppedBatches, pendingBatches, and whatever
 * counters the redelivery queue adds), read without naming them: this harness must not break
 * when an exporter gains or renames a counter.
 */
function numericGetters(target: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (let proto = Object.getPrototypeOf(target) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (descriptor.get === undefined || name in out) continue;
      const value = (target as Record<string, unknown>)[name];
      if (typeof value === 'number') out[name] = value;
    }
  }
  return out;
}

function sumCounters(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counters of all) for (const [name, value] of Object.entries(counters)) out[name] = (out[name] ?? 0) + value;
  return out;
}

const transitionKey = (t: { fingerprint: string; kind: string; at: number }): string => `${t.fingerprint}|${t.kind}|${t.at}`;

async function main(): Promise<void> {
  checkEndpoint();
  const checkInterval = Number(process.env.RELIABILITY_CHECK_INTERVAL_S ?? '1');
  if (!(checkInterval > 0)) throw new Error(`bad RELIABILITY_CHECK_INTERVAL_S: ${process.env.RELIABILITY_CHECK_INTERVAL_S}`);

  let healthy = true;
  let lastAnswer = true;
  const checkFlips: { at: number; healthy: boolean }[] = [];
  const check = (): boolean => {
    const answer = healthy;
    if (answer !== lastAnswer && checkFlips.length < MAX_ALERT_EVENTS) checkFlips.push({ at: Date.now(), healthy: answer });
    lastAnswer = answer;
    return answer;
  };
  const owned: OwnedExporters = new Set();
  const loggerProvider = createLoggerProvider(buildResource(SERVICE_NAME), process.env, owned);
  const monitor = await startHealthMonitoring({
    serviceName: SERVICE_NAME,
    checkInterval,
    errorThreshold: false,
    responseTimeThreshold: false,
    resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
    alerts: { cooldown: 0 },
    checks: { [CHECK_NAME]: check },
    loggerProvider,
  });

  const alertEventKeys: string[] = [];
  let alertEvents = 0;
  monitor.on('alert', (_alert: unknown, transition: { kind: string; at: number; alert: { fingerprint: string } }) => {
    alertEvents++;
    if (alertEventKeys.length < MAX_ALERT_EVENTS) alertEventKeys.push(transitionKey({ fingerprint: transition.alert.fingerprint, kind: transition.kind, at: transition.at }));
  });

  const server = http.createServer((_req, res) => {
    res.end('hello');
  });

  const stats = (): ServiceStats => {
    const memory = process.memoryUsage();
    const history: HistoryTransition[] = monitor.alertHistory().map((e) => ({
      at: e.at,
      kind: e.kind,
      rule: e.alert.rule,
      fingerprint: e.alert.fingerprint,
      level: e.alert.level,
    }));
    const inHistory = new Set(history.map(transitionKey));
    const sink = monitor.alerting.stats().sinks['otel-log'] ?? { sent: 0, failed: 0, dropped: 0 };
    const logExporters = [...owned].filter((e) => e instanceof WorkerLogRecordExporter);
    return {
      now: Date.now(),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      history,
      checkFlips: [...checkFlips],
      alertEvents,
      alertEventsNotInHistory: alertEventKeys.filter((k) => !inHistory.has(k)).length,
      otelLogSink: { sent: sink.sent, failed: sink.failed, dropped: sink.dropped },
      logExporter: sumCounters(logExporters.map(numericGetters)),
      internalErrors: monitor.internalErrors,
      diag: { warn: diagSeen.warn, error: diagSeen.error, recent: [...diagSeen.recent] },
    };
  };

  let stopping = false;
  process.on('message', (msg: ServiceCommand) => {
    if (msg.type === 'check') {
      healthy = msg.healthy;
      void send({ type: 'check', id: msg.id, at: Date.now() });
    } else if (msg.type === 'stats') {
      void send({ type: 'stats', id: msg.id, stats: stats() });
    } else if (msg.type === 'cpu') {
      const usage = process.cpuUsage();
      void send({ type: 'cpu', id: msg.id, us: usage.user + usage.system });
    } else if (msg.type === 'stop' && !stopping) {
      stopping = true;
      const started = performance.now();
      server.closeAllConnections();
      server.close();
      const work = (async () => {
        await monitor.shutdown();
        await loggerProvider.shutdown();
      })();
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`shutdown took longer than ${STOP_BOUND_MS} ms`)), STOP_BOUND_MS);
      });
      Promise.race([work, bound])
        .then(
          () => send({ type: 'stopped', id: msg.id, shutdownMs: performance.now() - started }),
          (err: unknown) => send({ type: 'stopped', id: msg.id, shutdownMs: performance.now() - started, error: errorText(err) }),
        )
        .finally(() => {
          clearTimeout(timer);
          process.exit(0);
        });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected listen address');
  await send({ type: 'ready', port: address.port });
}

process.on('disconnect', () => process.exit(1));

main().catch(async (err: unknown) => {
  await send({ type: 'failed', error: errorText(err) });
  process.exit(1);
});
