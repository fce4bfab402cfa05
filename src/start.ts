import { diag, metrics, type MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { loadConfig, type MonitoringConfig, type MonitoringConfigInput } from './config/index.js';
import { HealthReader } from './evaluator/index.js';
import { HealthMonitor } from './monitor/index.js';
import { HistoryStore } from './history/index.js';
import { acquireInstrumentation, SCOPE_NAME, startHostMetrics } from './instrumentation/index.js';
import { buildResource, createLoggerProvider, createMeterProvider, logExportPlan, type OwnedExporters } from './providers.js';
import { VERSION, type LoggerProviderLike } from './model/index.js';
import { startStatusServer, type StatusServer } from './http/index.js';
import { alertDestinations, ownedLogDestinations, printLine, startupLine, warnLine } from './startup-message.js';

/** Options of startHealthMonitoring: the MonitoringConfig fields plus how to join an existing SDK. */
export interface HealthMonitorOptions extends MonitoringConfigInput {
  /**
   * A HealthReader you registered on your own MeterProvider. When given, otel-health creates no
   * MeterProvider and no metric export: give your export readers a HealthMetricProducer each.
   */
  reader?: HealthReader;
  /**
   * Your LoggerProvider (of either OpenTelemetry line), for the alert log events. Default: one
   * created from the environment.
   */
  loggerProvider?: LoggerProviderLike;
  /**
   * Your MeterProvider, for the host metrics (`system.cpu.*`, `system.memory.*`) when you join
   * with your own `reader`. Default: the global one (`metrics.getMeterProvider()`, which NodeSDK
   * registers at start()).
   */
  meterProvider?: ApiMeterProvider;
  /**
   * Host metrics (system CPU and memory): on `meterProvider` when given, else on the
   * MeterProvider otel-health creates, else (joining with your own `reader`) on the global
   * MeterProvider. Default: true.
   */
  hostMetrics?: boolean;
  /** Seconds shutdown() waits for exporters to flush before giving up. Default: 5. */
  shutdownTimeout?: number;
}

/** Wait for `work` at most `seconds`; true when it settled in time. */
async function withTimeout(work: Promise<unknown>, seconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), seconds * 1000);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** A service name a resource states (not the SDK's `unknown_service:*` placeholder). */
function statedName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  return name.length > 0 && !name.startsWith('unknown_service') ? name : undefined;
}

interface ResourceLike {
  attributes?: Record<string, unknown>;
  asyncAttributesPending?: boolean;
  waitForAsyncAttributes?: () => Promise<void>;
}

async function serviceNameOf(resource: ResourceLike | undefined): Promise<string | undefined> {
  if (resource === undefined || resource === null) return undefined;
  try {
    if (resource.asyncAttributesPending === true) await withTimeout(resource.waitForAsyncAttributes?.() ?? Promise.resolve(), 2);
    return statedName(resource.attributes?.['service.name']);
  } catch {
    return undefined;
  }
}

/**
 * Joining an existing SDK with no `serviceName` given: the name in the resource of the providers
 * the user handed over, so alerts say what the user's metrics say. The HealthReader's collect
 * carries its MeterProvider's resource (public API); the LoggerProvider keeps its resource in a
 * private field on both SDK lines, so that read is guarded and only a fallback.
 */
async function joinedServiceName(reader: HealthReader | undefined, loggerProvider: unknown): Promise<string | undefined> {
  if (reader !== undefined) {
    const collected = await reader.collectForHealth(2_000);
    const name = await serviceNameOf(collected.resourceMetrics?.resource as ResourceLike | undefined);
    if (name !== undefined) return name;
  }
  try {
    const shared = (loggerProvider as { _sharedState?: { resource?: ResourceLike } } | undefined)?._sharedState;
    return await serviceNameOf(shared?.resource);
  } catch {
    return undefined;
  }
}

/** `127.0.0.1:8150`, `[::1]:8150`. */
const address = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * Start monitoring this process: HTTP and runtime instrumentation, the health evaluator and
 * alert log events. Bad options reject with a ConfigError naming every bad field.
 */
export async function startHealthMonitoring(options: HealthMonitorOptions = {}): Promise<HealthMonitor> {
  const {
    reader: userReader,
    loggerProvider: userLoggerProvider,
    meterProvider: userMeterProvider,
    hostMetrics,
    shutdownTimeout,
    ...input
  } = options;
  // The whole configuration, checked before anything starts (environment under explicit
  // options): one ConfigError lists every bad field, the `alerts` section's included.
  let config: MonitoringConfig = loadConfig(input);
  if (input.serviceName === undefined && (userReader !== undefined || userLoggerProvider !== undefined)) {
    const joined = await joinedServiceName(userReader, userLoggerProvider);
    if (joined !== undefined) config = { ...config, serviceName: joined };
  }
  const timeoutSeconds = shutdownTimeout !== undefined && shutdownTimeout > 0 ? shutdownTimeout : 5;

  const reader = userReader ?? new HealthReader();
  // Build only what the user did not bring: a MeterProvider unless they registered the reader
  // on their own, a LoggerProvider unless they passed theirs.
  const resource = buildResource(config.serviceName);
  const exporters: OwnedExporters = new Set();
  const owned = userReader === undefined ? createMeterProvider(resource, reader, process.env, exporters) : undefined;
  const meterProvider = owned?.meterProvider;
  const ownedLoggerProvider = userLoggerProvider === undefined ? createLoggerProvider(resource, process.env, exporters) : undefined;
  // Where our LoggerProvider's alert records go (the same reading createLoggerProvider made).
  const logPlan = ownedLoggerProvider !== undefined ? logExportPlan(process.env) : undefined;
  const loggerProvider = userLoggerProvider ?? ownedLoggerProvider!;
  // Host metrics on the user's MeterProvider, else ours, else (joining) the global one.
  let hostMetricsProblem: string | undefined;
  let host: ReturnType<typeof startHostMetrics> | undefined;
  if (hostMetrics !== false) {
    host = startHostMetrics(userMeterProvider ?? meterProvider ?? metrics.getMeterProvider());
    if (!host.started) {
      host.shutdown();
      host = undefined;
      hostMetricsProblem =
        userMeterProvider !== undefined || meterProvider !== undefined
          ? 'they could not start'
          : 'no MeterProvider: pass meterProvider, or start your SDK before otel-health';
      diag.warn(
        `otel-health: no host metrics (system.cpu.*, system.memory.*): ${hostMetricsProblem}. ` +
          'Monitoring runs without them; hostMetrics: false silences this.',
      );
    }
  }
  const instrumentation = acquireInstrumentation(config.http);

  // The persisted store, loaded before the monitor takes back what it holds. It never rejects:
  // a store it cannot use runs in memory, reported once (docs/STORE.md).
  const store =
    config.store === undefined
      ? undefined
      : await HistoryStore.open({ path: config.store.path, metricsRetention: config.metricsRetention, tiers: config.store.tiers });

  let status: StatusServer | undefined;
  const monitor = new HealthMonitor({
    ...(store !== undefined ? { store } : {}),
    config,
    reader,
    logger: loggerProvider.getLogger(SCOPE_NAME, VERSION),
    // Our LoggerProvider with no OTLP endpoint (or OTEL_LOGS_EXPORTER=console): the console sink
    // writes what goes to otel-log.
    consoleWithOtelLog: logPlan?.console === true,
    // /health/ready turns 503 the moment shutdown begins, before the flush below.
    beforeShutdown: () => status?.drain(),
    onShutdown: async () => {
      // Pending alert groups go out (and webhook queues get a bounded wait) before the loggers stop.
      await withTimeout(monitor.alerting.flush(), timeoutSeconds);
      instrumentation.release();
      host?.shutdown();
      const work: Promise<unknown>[] = [];
      if (owned !== undefined) {
        // Producers stop receiving data only after the provider's final export has read them.
        work.push(owned.meterProvider.shutdown().finally(() => owned.producers.forEach((p) => p.shutdown())));
      }
      if (ownedLoggerProvider !== undefined) work.push(ownedLoggerProvider.shutdown());
      // Exporters stuck on a hanging endpoint wait OTEL_EXPORTER_OTLP_TIMEOUT per signal: bound it.
      const finished = await withTimeout(Promise.all(work), timeoutSeconds);
      // Out of time: abandon the batches still waiting, so the export worker does not hold the
      // process open until OTEL_EXPORTER_OTLP_TIMEOUT runs out.
      if (!finished) await Promise.all([...exporters].map((e) => e.abandon().catch(() => undefined)));
      // What the store still queues is written (bounded like the exporters), then it lets go of its lock.
      if (store !== undefined) await withTimeout(store.close(), timeoutSeconds);
      // Last: /health/ready answered 503 during the flush above.
      await status?.close();
    },
  });
  let statusProblem: string | undefined;
  if (config.statusServer !== undefined) {
    const { port, host, token } = config.statusServer;
    try {
      status = await startStatusServer(monitor, { port, host, ...(token !== undefined ? { token } : {}) });
      // Alertmanager sinks link their alerts to the page (generatorURL).
      monitor.alerting.setStatusPage(status.url);
    } catch (error) {
      // The status page is a window on the monitor, not the monitor: checks and alerts go on.
      // statusServerOf(monitor) stays undefined.
      const code = (error as { code?: string } | undefined)?.code ?? String((error as Error | undefined)?.message ?? error);
      statusProblem = `${address(host, port)} ${code}`;
      warnLine(`otel-health: the status server cannot listen on ${address(host, port)} (${code}); monitoring runs without the status page`);
    }
  }
  if (config.startupMessage) {
    try {
      const otelLog = logPlan === undefined ? ['your LoggerProvider'] : ownedLogDestinations(logPlan);
      printLine(
        startupLine({
          serviceName: config.serviceName,
          checkInterval: config.checkInterval,
          alerts: alertDestinations(config.alertsPlan, otelLog),
          ...(hostMetricsProblem !== undefined ? { hostMetricsProblem } : {}),
          ...(status !== undefined ? { statusUrl: status.url } : {}),
          ...(statusProblem !== undefined ? { statusProblem } : {}),
        }),
      );
    } catch {
      // The message is a courtesy: never a reason not to monitor.
    }
  }
  monitor.start();
  return monitor;
}
