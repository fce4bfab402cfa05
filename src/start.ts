import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import { ConfigError, loadConfig, type ConfigIssue, type MonitoringConfig, type MonitoringConfigInput } from './config/index.js';
import { HealthReader } from './evaluator/health-reader.js';
import { HealthMonitor } from './evaluator/health-monitor.js';
import { acquireInstrumentation } from './instrumentation/index.js';
import { startHostMetrics } from './instrumentation/runtime/index.js';
import { buildResource, createLoggerProvider, createMeterProvider, type OwnedExporters } from './providers.js';
import { SCOPE_NAME } from './instrumentation/names.js';
import { VERSION } from './version.js';
import { parseAlertsConfig } from './alerts/pipeline.js';
import type { HttpInstrumentationOptions } from './instrumentation/http/http-instrumentation.js';
import { startStatusServer, type StatusServer } from './http/status-server.js';

/** Options of startHealthMonitoring: the MonitoringConfig fields plus how to join an existing SDK. */
export interface HealthMonitorOptions extends MonitoringConfigInput {
  /**
   * A HealthReader you registered on your own MeterProvider. When given, otel-health creates no
   * MeterProvider and no metric export: give your export readers a HealthMetricProducer each.
   */
  reader?: HealthReader;
  /** Your LoggerProvider, for the alert log events. Default: one created from the environment. */
  loggerProvider?: LoggerProvider;
  /** Host metrics (system CPU and memory) on the MeterProvider otel-health creates. Default: true. */
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

/**
 * The whole configuration, checked before anything starts: one ConfigError lists every bad
 * field, of the monitoring options and of the alert pipeline's `alerts` section alike.
 */
function validate(input: MonitoringConfigInput): MonitoringConfig {
  const issues: ConfigIssue[] = [];
  let config: MonitoringConfig | undefined;
  try {
    config = loadConfig(input);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  try {
    parseAlertsConfig(config?.alerts ?? input.alerts ?? {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const known = new Set(issues.map((i) => i.path));
    issues.push(...error.issues.filter((i) => !known.has(i.path)));
  }
  if (issues.length > 0 || config === undefined) throw new ConfigError(issues);
  return config;
}

/**
 * Start monitoring this process: HTTP and runtime instrumentation, the health evaluator and
 * alert log events. Bad options reject with a ConfigError naming every bad field.
 */
export async function startHealthMonitoring(options: HealthMonitorOptions = {}): Promise<HealthMonitor> {
  const { reader: userReader, loggerProvider: userLoggerProvider, hostMetrics, shutdownTimeout, ...input } = options;
  const config = validate(input);
  const timeoutSeconds = shutdownTimeout !== undefined && shutdownTimeout > 0 ? shutdownTimeout : 5;

  const reader = userReader ?? new HealthReader();
  // Build only what the user did not bring: a MeterProvider unless they registered the reader
  // on their own, a LoggerProvider unless they passed theirs.
  const resource = buildResource(config.serviceName);
  const exporters: OwnedExporters = new Set();
  const owned = userReader === undefined ? createMeterProvider(resource, reader, process.env, exporters) : undefined;
  const meterProvider = owned?.meterProvider;
  const ownedLoggerProvider = userLoggerProvider === undefined ? createLoggerProvider(resource, process.env, exporters) : undefined;
  const loggerProvider = userLoggerProvider ?? ownedLoggerProvider!;
  const host = meterProvider !== undefined && hostMetrics !== false ? startHostMetrics(meterProvider) : undefined;
  const instrumentation = acquireInstrumentation(config.http as HttpInstrumentationOptions);

  let status: StatusServer | undefined;
  const monitor = new HealthMonitor({
    config,
    reader,
    logger: loggerProvider.getLogger(SCOPE_NAME, VERSION),
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
      // Last: /health/ready answered 503 during the flush above.
      await status?.close();
    },
  });
  if (config.statusServer !== undefined) {
    const { port, host, token } = config.statusServer;
    try {
      status = await startStatusServer(monitor, { port, host, ...(token !== undefined ? { token } : {}) });
    } catch (error) {
      await monitor.shutdown();
      const code = (error as { code?: string }).code ?? (error as Error).message;
      throw new Error(`otel-health: the status server cannot listen on ${host}:${port} (${code})`, { cause: error });
    }
    // /health/ready turns 503 the moment shutdown begins, before the flush.
    const shutdown = monitor.shutdown.bind(monitor);
    monitor.shutdown = () => {
      status?.drain();
      return shutdown();
    };
  }
  monitor.start();
  return monitor;
}
