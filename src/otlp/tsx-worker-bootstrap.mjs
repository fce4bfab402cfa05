// Starts the OTLP export worker from its TypeScript source (development, and tests run with
// `node --import tsx`). Only used when otel-health runs from src/: the dist builds start
// dist/otlp-worker.js or dist/otlp-worker.cjs directly.
//
// Registering tsx here, inside the worker, is needed because on Node 20 an inherited
// `--import tsx` does not apply to a worker's entry module (Node 22 and 24 do apply it).
// The worker is started without the host's preload flags, so tsx is registered exactly once.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.otelHealthWorkerScript);
