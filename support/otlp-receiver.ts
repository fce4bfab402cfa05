// A real OTLP/HTTP receiver for tests: an http server on 127.0.0.1 that takes what the
// exporter-*-otlp-http and exporter-*-otlp-proto packages send (POST /v1/metrics and /v1/logs,
// JSON or protobuf bodies, optionally gzip-compressed) and records the parsed requests: a
// protobuf body is decoded with the OTLP definitions (otlp-proto.ts) into the OTLP/JSON shape,
// so tests read both encodings alike. `accepts` makes it take one encoding only and answer
// 415 to the other, as some vendor endpoints do.

import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decodeLogsRequest, decodeMetricsRequest } from './otlp-proto.js';

/**
 * - `ok`: 200 with an empty JSON ExportServiceResponse; the request is recorded.
 * - `fail500`: 500 (not retryable for OTLP exporters); nothing recorded.
 * - `hang`: never answers (the socket stays open until the exporter gives up or close()).
 * - `retry429`: the first time a body arrives it gets 429 with a `Retry-After` date in the past; the same
 *   body again (the exporter's retry) gets 200 and is recorded.
 * - `{ status, retryAfter? }`: every request gets that status (and that `Retry-After` header, if
 *   given); nothing recorded. E.g. `{ status: 429, retryAfter: '2' }`, `{ status: 400 }`.
 *
 * A receiver that refuses connections: `stopListening()`, then `listenAgain()` on the same port.
 */
export type ReceiverMode = 'ok' | 'fail500' | 'hang' | 'retry429' | { status: number; retryAfter?: string };

/** The two OTLP/HTTP encodings, by their content type. */
export type OtlpEncoding = 'json' | 'protobuf';

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** which encoding the request was sent in (by its content type) */
  encoding: OtlpEncoding;
  /** the parsed body (a protobuf body decoded into the OTLP/JSON shape); undefined when
   * refused with 415 */
  body: any;
  /** what the receiver answered (undefined for `hang`) */
  status: number | undefined;
}

export interface OtlpReceiver {
  /** base URL, e.g. http://127.0.0.1:43123 — exporters post to `${url}/v1/metrics` */
  url: string;
  /** parsed ExportMetricsServiceRequest bodies that were accepted (answered 200) */
  metrics: any[];
  /** parsed ExportLogsServiceRequest bodies that were accepted (answered 200) */
  logs: any[];
  /** every request that arrived, whatever it was answered */
  requests: ReceivedRequest[];
  /** Resolves when `predicate()` is true: checked now and after each arriving request (no
   * polling). Rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  setMode(mode: ReceiverMode): void;
  /** Closes the listening socket and every connection: connections are refused until
   * listenAgain(). */
  stopListening(): Promise<void>;
  /** Listens again on the same port. */
  listenAgain(): Promise<void>;
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  mode?: ReceiverMode;
  /** Take only this encoding and answer 415 Unsupported Media Type to the other (recorded,
   * with status 415). Default: both. */
  accepts?: OtlpEncoding;
  /** default 0 (any free port) */
  port?: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function inflate(raw: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(raw);
  if (encoding === 'deflate') return inflateSync(raw);
  return raw;
}

function encodingOf(contentType: string | undefined): OtlpEncoding {
  return (contentType ?? '').startsWith('application/x-protobuf') ? 'protobuf' : 'json';
}

function parse(path: string, encoding: OtlpEncoding, bytes: Buffer): any {
  if (encoding === 'json') return JSON.parse(bytes.toString('utf8'));
  return path === '/v1/metrics' ? decodeMetricsRequest(bytes) : decodeLogsRequest(bytes);
}

/** An empty ExportServiceResponse in the request's encoding. */
function okResponse(res: ServerResponse, encoding: OtlpEncoding): void {
  if (encoding === 'protobuf') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  let mode: ReceiverMode = options.mode ?? 'ok';
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const metrics: any[] = [];
  const logs: any[] = [];
  const requests: ReceivedRequest[] = [];
  const seen429 = new Set<string>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method !== 'POST' || (path !== '/v1/metrics' && path !== '/v1/logs')) {
        res.writeHead(404).end();
        return;
      }
      const encoding = encodingOf(req.headers['content-type']);
      let bytes: Buffer;
      let body: any;
      try {
        bytes = inflate(await readBody(req), req.headers['content-encoding']);
        if (options.accepts !== undefined && encoding !== options.accepts) {
          const record: ReceivedRequest = { path, headers: req.headers, encoding, body: undefined, status: 415 };
          res.writeHead(415, { 'content-type': 'text/plain' }).end(`this endpoint takes ${options.accepts} only`);
          requests.push(record);
          events.emit('request', record);
          return;
        }
        body = parse(path, encoding, bytes);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
        return;
      }
      const text = bytes.toString('base64');
      const record: ReceivedRequest = { path, headers: req.headers, encoding, body, status: undefined };
      const accept = () => {
        record.status = 200;
        (path === '/v1/metrics' ? metrics : logs).push(body);
        okResponse(res, encoding);
      };
      if (typeof mode === 'object') {
        record.status = mode.status;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (mode.retryAfter !== undefined) headers['retry-after'] = mode.retryAfter;
        res.writeHead(mode.status, headers).end(`{"message":"receiver answers ${mode.status}"}`);
        requests.push(record);
        events.emit('request', record);
        return;
      }
      switch (mode) {
        case 'ok':
          accept();
          break;
        case 'fail500':
          record.status = 500;
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"receiver in fail500 mode"}');
          break;
        case 'hang':
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          break;
        case 'retry429': {
          const key = `${path}\n${text}`;
          if (seen429.has(key)) {
            accept();
          } else {
            seen429.add(key);
            record.status = 429;
            // A date in the past means "retry now" (a bare 0 makes the stock exporter call
            // setTimeout(-1), which Node 24 warns about).
            res.writeHead(429, { 'content-type': 'application/json', 'retry-after': new Date(0).toUTCString() }).end('{}');
          }
          break;
        }
      }
      requests.push(record);
      events.emit('request', record);
    })();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  async function stop(): Promise<void> {
    for (const res of hanging) res.destroy();
    const closed = server.listening ? once(server, 'close') : undefined;
    if (closed !== undefined) server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    metrics,
    logs,
    requests,
    setMode(next) {
      mode = next;
    },
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          let ok: boolean;
          try {
            ok = predicate();
          } catch (error) {
            cleanup();
            reject(error as Error);
            return;
          }
          if (ok) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`otlp-receiver: condition not met within ${timeoutMs} ms (${requests.length} requests received)`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('request', check);
        };
        events.on('request', check);
        check();
      });
    },
    stopListening: stop,
    async listenAgain() {
      if (server.listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: stop,
  };
}

/** An OTLP/JSON `KeyValue` list. */
export type OtlpKeyValue = { key: string; value: Record<string, unknown> };

/** OTLP JSON attributes as a plain object (intValue may be a string in JSON: made a number). */
export function otlpAttributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => {
      const [kind, v] = Object.entries(value)[0] ?? ['', undefined];
      return [key, kind === 'intValue' ? Number(v) : v];
    }),
  );
}
