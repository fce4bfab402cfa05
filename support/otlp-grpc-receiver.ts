// A real OTLP/gRPC receiver for tests and benchmarks: a @grpc/grpc-js server on 127.0.0.1 that
// serves the collector's MetricsService/Export and LogsService/Export, decodes each request
// with the OTLP definitions (otlp-proto.ts) into the OTLP/JSON shape, and records it with its
// metadata. The methods take and give raw bytes, so no .proto loading is needed for the
// service itself.

import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { decodeLogsRequest, decodeMetricsRequest } from './otlp-proto.js';

/** `ok`: an empty response. A grpc status number (e.g. `grpc.status.UNAVAILABLE`): that error.
 * `hang`: never answers (until the caller's deadline or close()). */
export type GrpcReceiverMode = 'ok' | 'hang' | { status: grpc.status };

export interface GrpcRequest {
  signal: 'metrics' | 'logs';
  metadata: Record<string, string>;
  /** bytes of the message as it arrived (decompressed by grpc-js) */
  size: number;
  body: any;
  /** the status answered (0 OK), undefined while hanging */
  status: number | undefined;
}

export interface OtlpGrpcReceiver {
  /** `http://127.0.0.1:<port>`: an OTLP/gRPC endpoint (no path) */
  url: string;
  port: number;
  metrics: any[];
  logs: any[];
  requests: GrpcRequest[];
  setMode(mode: GrpcReceiverMode): void;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const raw = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
  requestStream: false,
  responseStream: false,
} as const;

const SERVICES = {
  metrics: { Export: { path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', ...raw } },
  logs: { Export: { path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', ...raw } },
};

/** Listens on `port` (default 0: any free port); rejects with the bind error (e.g. in use). */
export async function startOtlpGrpcReceiver(options: { port?: number; mode?: GrpcReceiverMode } = {}): Promise<OtlpGrpcReceiver> {
  let mode: GrpcReceiverMode = options.mode ?? 'ok';
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const metrics: any[] = [];
  const logs: any[] = [];
  const requests: GrpcRequest[] = [];
  const server = new grpc.Server();

  const handler =
    (signal: 'metrics' | 'logs') =>
    (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
      let body: any;
      try {
        body = signal === 'metrics' ? decodeMetricsRequest(call.request) : decodeLogsRequest(call.request);
      } catch (error) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: String(error) });
        return;
      }
      const record: GrpcRequest = { signal, metadata, size: call.request.length, body, status: undefined };
      requests.push(record);
      if (mode === 'hang') {
        events.emit('request', record);
        return;
      }
      if (mode === 'ok') {
        record.status = grpc.status.OK;
        (signal === 'metrics' ? metrics : logs).push(body);
        callback(null, Buffer.alloc(0));
      } else {
        record.status = mode.status;
        callback({ code: mode.status, details: `receiver answers status ${mode.status}` });
      }
      events.emit('request', record);
    };
  server.addService(SERVICES.metrics, { Export: handler('metrics') });
  server.addService(SERVICES.logs, { Export: handler('logs') });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metrics,
    logs,
    requests,
    setMode(next) {
      mode = next;
    },
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`otlp-grpc-receiver: condition not met within ${timeoutMs} ms (${requests.length} requests received)`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('request', check);
        };
        events.on('request', check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
