/**
 * Runs the variants of bench/http-overhead.ts: the OTLP sink and the load generator as shared
 * children, one server child per run, and the rounds, each running every variant once in an order
 * rotated per round.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../../support/children.js';
import type { LoadMessage, LoadResult, ServerMessage, SinkMessage, SinkStats, VariantName } from '../protocol.js';
import type { Options } from './options.js';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(BENCH_DIR, '..');

const READY_TIMEOUT_MS = 60_000;
const IPC_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 6_000;
const SETTLE_MS = 500;

export type RunRecord =
  | {
      ok: true;
      round: number;
      slot: number;
      variant: VariantName;
      load: LoadResult;
      reqPerSec: number;
      cpuUs: number;
      cpuUsPerReq: number;
      /** Server CPU time over wall time of the measured run (1 = one core busy). */
      cpuShare: number;
      sink: SinkStats;
      shutdownError: string | undefined;
    }
  | { ok: false; round: number; slot: number; variant: VariantName; error: string };

export type OkRun = Extract<RunRecord, { ok: true }>;

let nextId = 1;

class Harness {
  private constructor(
    private readonly opts: Options,
    private readonly sink: Child,
    private readonly sinkPort: number,
    private readonly load: Child,
  ) {}

  static async start(opts: Options): Promise<Harness> {
    const env = { ...process.env };
    const sink = new Child('otlp-sink', path.join(BENCH_DIR, 'otlp-sink.ts'), [], { cwd: REPO_ROOT, env });
    const load = new Child('load', path.join(BENCH_DIR, 'load.ts'), [], { cwd: REPO_ROOT, env });
    const [sinkPort] = await Promise.all([
      sink.waitFor((m) => ((m as SinkMessage).type === 'ready' ? (m as { port: number }).port : undefined), READY_TIMEOUT_MS, 'starting the OTLP sink'),
      load.waitFor((m) => ((m as LoadMessage).type === 'ready' ? true : undefined), READY_TIMEOUT_MS, 'starting the load generator'),
    ]);
    return new Harness(opts, sink, sinkPort, load);
  }

  async close(): Promise<void> {
    // Closing the IPC channel makes both exit on their own; kill whatever is left.
    this.sink.kill();
    this.load.kill();
  }

  private async sinkStats(): Promise<SinkStats> {
    const id = nextId++;
    this.sink.send({ type: 'stats', id });
    return this.sink.waitFor(
      (m) => {
        const msg = m as SinkMessage;
        return msg.type === 'stats' && msg.id === id ? msg.stats : undefined;
      },
      IPC_TIMEOUT_MS,
      'asking the sink for its counts',
    );
  }

  private async runLoad(port: number, seconds: number): Promise<LoadResult> {
    const id = nextId++;
    this.load.send({ type: 'run', id, url: `http://127.0.0.1:${port}/`, connections: this.opts.connections, duration: seconds });
    return this.load.waitFor(
      (m) => {
        const msg = m as LoadMessage;
        if (msg.type === 'result' && msg.id === id) return msg.result;
        if (msg.type === 'error' && msg.id === id) throw new Error(`autocannon failed: ${msg.error}`);
        return undefined;
      },
      (seconds + 30) * 1000,
      'running autocannon',
    );
  }

  private async serverCpu(server: Child): Promise<number> {
    const id = nextId++;
    server.send({ type: 'cpu', id });
    return server.waitFor(
      (m) => {
        const msg = m as ServerMessage;
        return msg.type === 'cpu' && msg.id === id ? msg.user + msg.system : undefined;
      },
      IPC_TIMEOUT_MS,
      'asking the server for its CPU usage',
    );
  }

  async runOne(variant: VariantName, round: number, slot: number): Promise<RunRecord> {
    const base = { round, slot, variant };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${this.sinkPort}`,
      OTEL_METRIC_EXPORT_INTERVAL: String(this.opts.exportIntervalMs),
      BENCH_EXPORT_INTERVAL_MS: String(this.opts.exportIntervalMs),
      BENCH_CHECK_INTERVAL_S: String(this.opts.checkInterval),
      BENCH_VARIANT: variant,
    };
    if (variant === 'instrumentation-http') {
      env.OTEL_TRACES_EXPORTER = 'none';
      env.OTEL_LOGS_EXPORTER = 'none';
    }
    const sinkBefore = await this.sinkStats();
    const server = new Child(`server ${variant}`, path.join(BENCH_DIR, 'server.ts'), [variant], { cwd: REPO_ROOT, env });
    try {
      const port = await server.waitFor(
        (m) => {
          const msg = m as ServerMessage;
          if (msg.type === 'ready') return msg.port;
          if (msg.type === 'failed') throw new Error(msg.error);
          return undefined;
        },
        READY_TIMEOUT_MS,
        `starting ${variant}`,
      );
      if (this.opts.warmup > 0) await this.runLoad(port, this.opts.warmup);
      const cpuStart = await this.serverCpu(server);
      const load = await this.runLoad(port, this.opts.duration);
      const cpuEnd = await this.serverCpu(server);
      if (load.requests === 0) throw new Error('no request completed in the measured run');

      server.send({ type: 'stop' });
      let shutdownError: string | undefined;
      try {
        const stopped = await server.waitFor(
          (m) => ((m as ServerMessage).type === 'stopped' ? (m as { shutdownError?: string }) : undefined),
          STOP_TIMEOUT_MS,
          'stopping the server',
        );
        shutdownError = stopped.shutdownError;
      } catch (err) {
        shutdownError = err instanceof Error ? err.message : String(err);
      }
      await server.stop(STOP_TIMEOUT_MS);
      const sinkAfter = await this.sinkStats();

      const cpuUs = cpuEnd - cpuStart;
      return {
        ok: true,
        ...base,
        load,
        reqPerSec: load.requests / load.duration,
        cpuUs,
        cpuUsPerReq: cpuUs / load.requests,
        cpuShare: cpuUs / 1e6 / load.duration,
        sink: diffSink(sinkBefore, sinkAfter),
        shutdownError,
      };
    } catch (err) {
      // A shared child dying is fatal; a server that fails only loses this run.
      if (this.load.exited || this.sink.exited) throw err;
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, ...base, error: server.output() && !message.includes(server.output()) ? `${message}\n${server.output()}` : message };
    } finally {
      server.kill();
    }
  }
}

function diffSink(before: SinkStats, after: SinkStats): SinkStats {
  const paths: Record<string, number> = {};
  for (const [p, n] of Object.entries(after.paths)) {
    const d = n - (before.paths[p] ?? 0);
    if (d > 0) paths[p] = d;
  }
  return {
    posts: after.posts - before.posts,
    bytes: after.bytes - before.bytes,
    withHttpDuration: after.withHttpDuration - before.withHttpDuration,
    paths,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Every round, each variant once; a progress line per run. */
export async function runRounds(opts: Options): Promise<RunRecord[]> {
  const harness = await Harness.start(opts);
  const records: RunRecord[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = rotate(opts.variants, round);
      for (const [slot, variant] of order.entries()) {
        const record = await harness.runOne(variant, round, slot);
        records.push(record);
        const tag = `round ${round + 1}/${opts.rounds} ${variant.padEnd(20)}`;
        if (record.ok) {
          console.log(
            `${tag} ${record.reqPerSec.toFixed(0).padStart(7)} req/s  ${record.cpuUsPerReq.toFixed(2).padStart(6)} µs CPU/req  ` +
              `${record.load.errors + record.load.timeouts + record.load.non2xx} errors  ${record.sink.posts} exports` +
              (record.shutdownError ? `  (shutdown: ${record.shutdownError.split('\n')[0]})` : ''),
          );
        } else {
          console.log(`${tag} FAILED: ${record.error.split('\n')[0]}`);
        }
        await sleep(SETTLE_MS);
      }
    }
  } finally {
    await harness.close();
  }
  return records;
}
