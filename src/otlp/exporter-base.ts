// The lifecycle surface both worker exporters share (metric-exporter.ts, log-record-exporter.ts),
// delegated to their channel to the worker (export-channel.ts).

import { ExportChannel } from './export-channel.js';
import type { WorkerExporterOptions } from './options.js';
import type { Signal } from './protocol.js';

/** What both worker exporters share: the channel to the worker and its lifecycle. */
export abstract class WorkerExporterBase {
  protected readonly channel: ExportChannel;

  protected constructor(signal: Signal, options: WorkerExporterOptions) {
    this.channel = new ExportChannel(signal, options);
  }

  /** Batches dropped because `maxQueue` batches were already waiting for the worker. */
  get droppedBatches(): number {
    return this.channel.droppedBatches;
  }

  /** Batches handed to the worker and not answered yet. */
  get pendingBatches(): number {
    return this.channel.pendingBatches;
  }

  /** Waits for the batches handed to the worker so far, at most `shutdownTimeoutMillis`. */
  forceFlush(): Promise<void> {
    return this.channel.forceFlush();
  }

  /** Fails the batches still waiting and releases the worker at once, without flushing. */
  abandon(): Promise<void> {
    return this.channel.abandon();
  }

  /** Flushes, stops the stock exporter in the worker and, when this was the worker's last
   * exporter, terminates the worker. Resolves within `shutdownTimeoutMillis` even when the
   * endpoint hangs; batches still pending then get FAILED, and later exports FAILED at once. */
  shutdown(): Promise<void> {
    return this.channel.shutdown();
  }
}
