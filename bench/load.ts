/**
 * The load generator: runs autocannon programmatically, in its own child process of the harness so
 * that it neither shares an event loop with the server under test nor with the harness. One process
 * serves every run of a benchmark; each `run` command answers with one `result`. Exits when the
 * harness disconnects.
 *
 * Not meant to be run by hand: `node --import tsx bench/load.ts` with an IPC channel.
 */
import { createRequire } from 'node:module';
import type { LoadMessage, LoadResult, LoadRun } from './protocol.js';
import { sendToParent } from './parent.js';

if (!process.send) {
  console.error('load.ts is started by bench/http-overhead.ts (it needs an IPC channel)');
  process.exit(2);
}

/** The part of autocannon's result this harness reads (autocannon ships no types). */
interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; pipelining: number; timeout: number },
  cb: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

/** Messages to the harness, typed for this child. */
const send = (msg: LoadMessage): void => void sendToParent(msg);

function run(cmd: LoadRun): Promise<LoadResult> {
  const url = new URL(cmd.url);
  // The load stays on this machine's loopback, whatever the harness was told.
  if (url.hostname !== '127.0.0.1') return Promise.reject(new Error(`refusing to load ${cmd.url}: not 127.0.0.1`));
  const cpuStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    autocannon(
      { url: cmd.url, connections: cmd.connections, duration: cmd.duration, pipelining: 1, timeout: 10 },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          requests: result.requests.total,
          duration: result.duration,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          resets: result.resets,
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          loadCpuUs: ((cpu) => cpu.user + cpu.system)(process.cpuUsage(cpuStart)),
        });
      },
    );
  });
}

process.on('message', (msg: LoadRun) => {
  if (msg.type !== 'run') return;
  run(msg).then(
    (result) => send({ type: 'result', id: msg.id, result }),
    (err: unknown) => send({ type: 'error', id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));

send({ type: 'ready' });
