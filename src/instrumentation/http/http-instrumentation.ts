import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import { methodIndex } from './methods.js';
import { resolveRoute } from './routes.js';
import { ignoreServer, serverInfo, SERVER_INFO, type ServerInfo } from './server-classifier.js';
import { NO_STATUS, type HttpServerMetrics } from './http-server-metrics.js';
import type { Series } from '../aggregation/instrument.js';
import type { HttpInstrumentationOptions } from '../../config/index.js';
import { reportInternalError } from '../../model/index.js';

/** Which servers and requests are not measured: the `http` option, declared once in config/. */
export type { HttpInstrumentationOptions };

// Per-request and per-socket state lives on node's own objects under registry symbols: no
// side table to clean up, and the ESM and CommonJS builds see the same keys.
const START = Symbol.for('otel-health.request.start');
const KEY = Symbol.for('otel-health.request.key');
const PENDING = Symbol.for('otel-health.socket.pending');
const WATCHED = Symbol.for('otel-health.socket.watched');
const CONNECTION = Symbol.for('otel-health.socket.connection');

interface TrackedRequest extends IncomingMessage {
  [START]?: number | undefined;
  /** method index * 2 + scheme index */
  [KEY]?: number;
}

interface TrackedSocket extends Socket {
  [PENDING]?: TrackedRequest | TrackedRequest[] | undefined;
  [WATCHED]?: boolean;
  [CONNECTION]?: Series;
  server?: Server;
}

interface RequestMessage {
  request: TrackedRequest;
  response: ServerResponse;
  socket: TrackedSocket;
  server: Server & { [SERVER_INFO]?: ServerInfo };
}

const CHANNEL_REQUEST_START = 'http.server.request.start';
const CHANNEL_RESPONSE_FINISH = 'http.server.response.finish';
const CHANNEL_SOCKET = 'net.server.socket';

/**
 * Measures every node:http and node:https server in the process through diagnostics_channel,
 * without wrapping user servers. The per-request path: one performance.now(), two symbol
 * stores, an active-requests add and subtract, a cached series lookup and one histogram record.
 */
export class HttpInstrumentation {
  private ignoredPorts: ReadonlySet<number> = new Set();
  private ignoredPaths: ReadonlySet<string> = new Set();
  private ignoreRequest: ((request: IncomingMessage) => boolean) | undefined;
  private enabled = false;
  /** Errors caught inside the subscribers (never thrown into the service). */
  internalErrors = 0;
  /** Each error caught (after counting it): reported through `diag`, once per distinct problem, rate-limited. */
  onInternalError: (error: unknown) => void = (error) => reportInternalError('http instrumentation', error);

  constructor(private readonly metrics: HttpServerMetrics) {}

  configure(options: HttpInstrumentationOptions): void {
    this.ignoredPorts = new Set(options.ignorePorts ?? []);
    this.ignoredPaths = new Set(options.ignorePaths ?? []);
    this.ignoreRequest = options.ignoreRequest;
    for (const server of options.ignoreServers ?? []) ignoreServer(server);
  }

  enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    diagnosticsChannel.subscribe(CHANNEL_REQUEST_START, this.onRequestStart);
    diagnosticsChannel.subscribe(CHANNEL_RESPONSE_FINISH, this.onResponseFinish);
    diagnosticsChannel.subscribe(CHANNEL_SOCKET, this.onSocket);
  }

  disable(): void {
    if (!this.enabled) return;
    this.enabled = false;
    diagnosticsChannel.unsubscribe(CHANNEL_REQUEST_START, this.onRequestStart);
    diagnosticsChannel.unsubscribe(CHANNEL_RESPONSE_FINISH, this.onResponseFinish);
    diagnosticsChannel.unsubscribe(CHANNEL_SOCKET, this.onSocket);
  }

  private fail(error: unknown): void {
    this.internalErrors++;
    try {
      this.onInternalError(error);
    } catch {
      // The error reporter itself must not throw into the service either.
    }
  }

  // A throw from a diagnostics_channel subscriber is rethrown on the next tick as an uncaught
  // exception, which would crash the service: every subscriber body is guarded.
  private readonly onRequestStart = (message: unknown): void => {
    try {
      const { request, socket, server } = message as RequestMessage;
      const info = serverInfo(server, this.ignoredPorts);
      if (info.ignored) return;
      if (this.ignoredPaths.size > 0 && this.isIgnoredPath(request.url)) return;
      if (this.ignoreRequest !== undefined && this.callIgnoreRequest(request)) return;
      const method = methodIndex(request.method);
      request[START] = performance.now();
      request[KEY] = method * 2 + info.scheme;
      this.metrics.activeSeries(method, info.scheme).add(1);
      this.trackPending(socket, request);
    } catch (error) {
      this.fail(error);
    }
  };

  private readonly onResponseFinish = (message: unknown): void => {
    try {
      const { request, response, socket } = message as RequestMessage;
      const start = request[START];
      if (start === undefined) return;
      this.complete(request, start, response.statusCode);
      this.untrackPending(socket, request);
    } catch (error) {
      this.fail(error);
    }
  };

  private readonly onSocket = (message: unknown): void => {
    try {
      const socket = (message as { socket: TrackedSocket }).socket;
      const server = socket.server;
      if (server === undefined) return;
      const info = serverInfo(server, this.ignoredPorts);
      if (info.ignored) return;
      const pair = this.metrics.connectionSeriesFor(info.port, info.scheme);
      pair.open.add(1);
      pair.opened.add(1);
      socket[CONNECTION] = pair.open;
      this.watch(socket);
    } catch (error) {
      this.fail(error);
    }
  };

  /**
   * One 'close' listener per socket serves both the connection count and aborted requests.
   * A single shared function (node calls it with the socket as `this`): no closure per socket.
   */
  private watch(socket: TrackedSocket): void {
    if (socket[WATCHED] === true) return;
    socket[WATCHED] = true;
    socket.on('close', this.closeListener);
  }

  private readonly closeListener = ((instrumentation: HttpInstrumentation) =>
    function (this: TrackedSocket): void {
      instrumentation.onSocketClose(this);
    })(this);

  private onSocketClose(socket: TrackedSocket): void {
    try {
      socket[CONNECTION]?.add(-1);
      socket[CONNECTION] = undefined;
      const pending = socket[PENDING];
      if (pending === undefined) return;
      socket[PENDING] = undefined;
      // Requests still open when their socket closes were aborted: close them here, or
      // http.server.active_requests would leak.
      if (Array.isArray(pending)) {
        for (const request of pending) this.abort(request);
      } else {
        this.abort(pending);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private abort(request: TrackedRequest): void {
    const start = request[START];
    if (start !== undefined) this.complete(request, start, NO_STATUS);
  }

  private complete(request: TrackedRequest, start: number, status: number): void {
    request[START] = undefined;
    const key = request[KEY]!;
    const method = key >> 1;
    const scheme = key & 1;
    this.metrics.activeSeries(method, scheme).add(-1);
    const seconds = (performance.now() - start) / 1000;
    this.metrics.durationSeries(method, scheme, status, this.routeOf(request)).record(seconds);
  }

  /** A route source that throws (a hostile getter, a framework bug) costs the route, not the request. */
  private routeOf(request: TrackedRequest): string | undefined {
    try {
      return resolveRoute(request);
    } catch (error) {
      this.fail(error);
      return undefined;
    }
  }

  private trackPending(socket: TrackedSocket, request: TrackedRequest): void {
    // The 'close' listener is usually attached at connection time; TLS sockets (a different
    // object from the TCP socket net.server.socket reports) and sockets accepted before
    // start get it on their first request.
    this.watch(socket);
    const pending = socket[PENDING];
    if (pending === undefined) socket[PENDING] = request;
    else if (Array.isArray(pending)) pending.push(request);
    else socket[PENDING] = [pending, request];
  }

  private untrackPending(socket: TrackedSocket, request: TrackedRequest): void {
    const pending = socket[PENDING];
    if (pending === request) {
      socket[PENDING] = undefined;
    } else if (Array.isArray(pending)) {
      const index = pending.indexOf(request);
      if (index >= 0) pending.splice(index, 1);
      if (pending.length === 0) socket[PENDING] = undefined;
    }
  }

  private isIgnoredPath(url: string | undefined): boolean {
    if (url === undefined) return false;
    const query = url.indexOf('?');
    return this.ignoredPaths.has(query === -1 ? url : url.slice(0, query));
  }

  private callIgnoreRequest(request: IncomingMessage): boolean {
    try {
      return this.ignoreRequest!(request) === true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }
}
