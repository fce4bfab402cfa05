// A real OTLP/HTTP receiver for tests: an http server on 127.0.0.1 that takes what the
// exporter-*-otlp-http packages send (POST /v1/metrics and /v1/logs, JSON bodies, optionally
// gzip-compressed) and records the parsed requests.

import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

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

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** the parsed JSON body */
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

function decode(raw: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return gunzipSync(raw).toString('utf8');
  if (encoding === 'deflate') return inflateSync(raw).toString('utf8');
  return raw.toString('utf8');
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
      let text: string;
      let body: any;
      try {
        text = decode(await readBody(req), req.headers['content-encoding']);
        body = JSON.parse(text);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
        return;
      }
      const record: ReceivedRequest = { path, headers: req.headers, body, status: undefined };
      const accept = () => {
        record.status = 200;
        (path === '/v1/metrics' ? metrics : logs).push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
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
