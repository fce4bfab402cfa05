import { errorTypeOf } from './operations.js';
import { getStore } from './store.js';

/**
 * The manual API, for work that is not an HTTP request (a queue consumer, a job): records
 * `otel_health.operation.duration` with `otel_health.operation.name` and, on failure,
 * `error.type`. None of these functions throws into the caller for bad telemetry input.
 */

/** Record one finished operation. `error`: a string error type, an Error, or undefined for success. */
export function recordOperation(name: string, durationSeconds: number, error?: unknown): void {
  try {
    if (typeof name !== 'string' || name.length === 0) return;
    if (typeof durationSeconds !== 'number' || !(durationSeconds >= 0) || durationSeconds === Infinity) return;
    getStore().operations.record(name, durationSeconds, error === undefined || error === null ? undefined : errorTypeOf(error));
  } catch {
    // Telemetry never fails the operation it describes.
  }
}

/** Start timing an operation; call the returned function once when it ends (with the error, if it failed). */
export function startOperation(name: string): (error?: unknown) => void {
  const start = performance.now();
  let ended = false;
  return (error?: unknown) => {
    if (ended) return;
    ended = true;
    recordOperation(name, (performance.now() - start) / 1000, error);
  };
}

/** Run `work`, recording its duration and outcome; its result or rejection passes through unchanged. */
export async function measureOperation<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const end = startOperation(name);
  try {
    const result = await work();
    end();
    return result;
  } catch (error) {
    end(error ?? 'error');
    throw error;
  }
}
