/**
 * `node --import otel-health/register app.js` (or `--require otel-health/register`): start
 * monitoring from environment variables alone (OTEL_SERVICE_NAME, OTEL_HEALTH_*, the standard
 * OTEL_EXPORTER_OTLP_* variables). A bad configuration is reported on stderr and the service
 * starts unmonitored: a preload must never stop the service it was meant to watch.
 */
import { startHealthMonitoring } from './start.js';
import type { HealthMonitor } from './monitor/index.js';

const REGISTERED = Symbol.for('otel-health.register');
const holder = globalThis as unknown as { [REGISTERED]?: Promise<HealthMonitor | undefined> };

if (holder[REGISTERED] === undefined) {
  holder[REGISTERED] = startHealthMonitoring().then(
    (monitor) => {
      const stop = () => {
        monitor.shutdown().catch(() => undefined);
      };
      process.once('beforeExit', stop);
      return monitor;
    },
    (error: unknown) => {
      console.error(`otel-health: monitoring not started: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    },
  );
}

/** The monitor started by this preload (undefined if its configuration was bad). */
export const registered: Promise<HealthMonitor | undefined> = holder[REGISTERED];
