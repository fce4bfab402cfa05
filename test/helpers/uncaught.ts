type ProcessErrorEvent = 'uncaughtException' | 'unhandledRejection';

/**
 * Collects what escapes to the process while a test file runs (an uncaught exception, and by
 * default an unhandled rejection), so the file can assert at the end that nothing did.
 * A listener on 'uncaughtException' also keeps node:test from failing on the first one.
 */
export function collectUncaught(events: readonly ProcessErrorEvent[] = ['uncaughtException', 'unhandledRejection']) {
  const errors: unknown[] = [];
  const onError = (error: unknown): void => {
    errors.push(error);
  };
  return {
    errors,
    start(): void {
      for (const event of events) process.on(event, onError);
    },
    stop(): void {
      for (const event of events) process.off(event, onError);
    },
  };
}
