/**
 * The child side of the harness's IPC channel, shared by every bench child process (bench/server.ts,
 * bench/load.ts, bench/otlp-sink.ts, bench/reliability/service.ts and fault-endpoint.ts).
 */

/** Send `msg` to the harness; resolves once it is handed to the channel (or at once when there is none). */
export function sendToParent(msg: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) {
      resolve();
      return;
    }
    process.send(msg as object, undefined, {}, () => resolve());
  });
}

/** An error as text for a message to the harness: its stack when it has one. */
export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
