/**
 * The runtime MetricSource: CPU, memory and event-loop metrics for one reader's collect.
 *
 * Every reader's producer creates its own source, so everything windowed here (the CPU-time
 * baseline of utilisation, the event-loop delay histogram, the ELU sample, DELTA baselines) is
 * per reader: a 15 s health check and a 60 s export each see their own window.
 */
import { diag, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { CollectContext, MetricSource } from '../metric-source.js';
import { readCgroupLimits } from './cgroup.js';
import { CpuMetrics, availableCpus } from './cpu.js';
import { EventLoopMetrics } from './event-loop.js';
import { MemoryMetrics } from './memory.js';
import type { CollectWindow } from './points.js';

export interface RuntimeSourceOptions {
  /**
   * Filesystem root under which `/proc/self/cgroup` and `/sys/fs/cgroup` are read for the CPU
   * quota and memory limit. Default: `'/'`.
   */
  fsRoot?: string;
  /**
   * Sampling interval of the event-loop delay histogram (`monitorEventLoopDelay`'s
   * `resolution`), in milliseconds; a positive integer. Default: `10`.
   */
  eventLoopResolutionMs?: number;
}

export const DEFAULT_EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * Creates a runtime source for one reader. Reads the cgroup limits and starts the event-loop
 * delay histogram now; `shutdown()` stops the histogram.
 *
 * @throws RangeError when `eventLoopResolutionMs` is not a positive integer (a programming
 * error, reported at creation rather than turned into a silently different resolution).
 */
export function createRuntimeSource(options: RuntimeSourceOptions = {}): MetricSource {
  const resolution = options.eventLoopResolutionMs ?? DEFAULT_EVENT_LOOP_RESOLUTION_MS;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new RangeError(
      `eventLoopResolutionMs must be a positive integer (milliseconds), got ${String(resolution)}`,
    );
  }
  return new RuntimeSource(options.fsRoot ?? '/', resolution);
}

interface Piece {
  readonly name: string;
  collect(window: CollectWindow): MetricData[];
}

class RuntimeSource implements MetricSource {
  private readonly createdAt: HrTime = hrTime();
  private windowStart: HrTime = this.createdAt;
  private readonly eventLoop: EventLoopMetrics;
  private readonly pieces: readonly Piece[];
  /** Pieces whose failure was already logged at warn level: later failures go to debug. */
  private readonly warned = new Set<string>();
  private stopped = false;

  constructor(fsRoot: string, eventLoopResolutionMs: number) {
    const limits = readCgroupLimits({ fsRoot });
    const cpu = new CpuMetrics(availableCpus(limits.cpuQuota), this.createdAt);
    const memory = new MemoryMetrics(limits.memoryLimit, this.createdAt);
    const eventLoop = new EventLoopMetrics(eventLoopResolutionMs);
    this.eventLoop = eventLoop;
    this.pieces = [
      { name: 'cpu', collect: (w) => cpu.collect(w) },
      { name: 'memory', collect: (w) => memory.collect(w) },
      { name: 'event loop delay', collect: (w) => eventLoop.collectDelay(w) },
      { name: 'event loop utilization', collect: (w) => eventLoop.collectUtilization(w) },
    ];
  }

  collect(context: CollectContext): MetricData[] {
    if (this.stopped) return [];
    const window: CollectWindow = {
      createdAt: this.createdAt,
      windowStart: this.windowStart,
      endTime: context.endTime,
      temporalityOf: (type) => context.temporalityOf(type),
    };
    const metrics: MetricData[] = [];
    // One failing piece (say, a runtime without an API) must not cost the others their data,
    // nor the reader its collect.
    for (const piece of this.pieces) {
      try {
        metrics.push(...piece.collect(window));
      } catch (error) {
        this.reportFailure(piece.name, error);
      }
    }
    this.windowStart = context.endTime;
    return metrics;
  }

  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.eventLoop.shutdown();
    } catch (error) {
      this.reportFailure('shutdown', error);
    }
  }

  private reportFailure(piece: string, error: unknown): void {
    const log = this.warned.has(piece) ? diag.debug : diag.warn;
    this.warned.add(piece);
    log(`otel-health: runtime metrics: ${piece} skipped`, error);
  }
}
