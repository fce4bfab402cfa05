/**
 * Bad traffic for the reliability cases (issue 6): a client that sends a seeded random mix of
 * well-formed requests with distinct random paths, query strings and methods, made-up method
 * tokens, CONNECT, oversized and malformed headers, aborted, half-open, truncated and idle
 * connections; the route templates the server child registers; and the checks every run must
 * pass on the metrics the child collected. Used by test/system/bad-traffic.test.ts (short) and
 * bench/reliability/cases/bad-traffic.ts (long), which both fork bad-traffic-server.ts.
 */
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import { Child } from './children.js';
import { prng } from './random.js';
import { KNOWN_METHODS } from '../src/instrumentation/http/methods.js';

/** Templates the node:http server names with setRoute (`/gen/<n>/:id`, n below this): more than the series cap. */
export const GEN_ROUTES = 2500;

/** Route templates of the Express app (bad-traffic-server.ts registers exactly these). */
export const EXPRESS_TEMPLATES = [
  '/users/:id',
  '/orgs/:org/repos/:repo',
  '/files/*path',
  '/search',
  '/api/items/:id',
  '/fail/:code',
  '/throw/:id',
  '/slow/:id',
] as const;

/** Every value `http.route` may take: a template the applications registered, nothing else. */
export function isRegisteredTemplate(route: unknown): boolean {
  if (typeof route !== 'string') return false;
  if ((EXPRESS_TEMPLATES as readonly string[]).includes(route)) return true;
  const gen = /^\/gen\/(\d+)\/:id$/.exec(route);
  return gen !== null && Number(gen[1]) < GEN_ROUTES && String(Number(gen[1])) === gen[1];
}

// ---------------------------------------------------------------------------------------------
// The client.

// A seeded PRNG, so a failing mix can be replayed from the seed it prints.
export { prng };

/** Methods llhttp accepts (all of http.METHODS but CONNECT, which never becomes a request). */
const WELL_FORMED_METHODS = http.METHODS.filter((m) => m !== 'CONNECT');
/** Weighted towards what services see; the rest are the ones the conventions map to `_OTHER`. */
const COMMON_METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'];

export type Kind =
  | 'express'
  | 'gen'
  | 'random'
  | 'fail'
  | 'made-up-method'
  | 'connect'
  | 'oversized'
  | 'malformed'
  | 'aborted'
  | 'half-open'
  | 'truncated'
  | 'idle';

/** Share of each kind in the mix (sums to 100). */
const WEIGHTS: ReadonlyArray<[Kind, number]> = [
  ['express', 30],
  ['gen', 25],
  ['random', 12],
  ['fail', 4],
  ['made-up-method', 5],
  ['connect', 1],
  ['oversized', 4],
  ['malformed', 6],
  ['aborted', 5],
  ['half-open', 4],
  ['truncated', 3],
  ['idle', 1],
];

/** What the client saw for one kind: answers by status, connections closed with no answer, socket errors. */
export interface KindTally {
  sent: number;
  statuses: Record<string, number>;
  noAnswer: number;
  errors: number;
}

export interface TrafficResult {
  seed: number;
  total: number;
  byKind: Partial<Record<Kind, KindTally>>;
  /** Distinct request targets (path and query) of the well-formed requests (aborted ones included). */
  distinctTargets: number;
  /** Distinct method tokens sent (well-formed and made up). */
  distinctMethods: number;
  ms: number;
}

export interface TrafficOptions {
  nodePort: number;
  expressPort: number;
  total: number;
  seed: number;
  /** Operations in flight at once. Default 32. */
  concurrency?: number;
  /** Called after every `every` operations (progress, memory checkpoints). */
  onProgress?: (done: number) => void | Promise<void>;
  every?: number;
}

/** Bound on any one operation: a socket the server never closes is destroyed by the client. */
const OPERATION_TIMEOUT_MS = 10_000;

const SEGMENT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~';

class Mix {
  readonly random: () => number;
  readonly targets = new Set<string>();
  readonly methods = new Set<string>();
  private serial = 0;
  constructor(seed: number) {
    this.random = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  kind(): Kind {
    let r = this.random() * 100;
    for (const [kind, weight] of WEIGHTS) {
      if (r < weight) return kind;
      r -= weight;
    }
    return 'express';
  }
  /** A random path segment: URL-safe characters, percent-encoded bytes and UTF-8, now and then a bad escape. */
  segment(): string {
    let s = '';
    const length = 1 + this.int(12);
    for (let i = 0; i < length; i++) {
      const r = this.random();
      if (r < 0.05) s += encodeURIComponent(this.pick(['é', '☃', '😀', ' ', '/', '?', '#', '%', '&']));
      else if (r < 0.07) s += this.pick(['%zz', '%', '%0', '%C0%AF']); // malformed escapes
      else s += SEGMENT_CHARS[this.int(SEGMENT_CHARS.length)];
    }
    // Distinct by construction, not by luck.
    return `${s}-${(this.serial++).toString(36)}`;
  }
  query(): string {
    const parts = Array.from({ length: this.int(4) }, () => `${this.segment()}=${this.segment()}`);
    return parts.length === 0 ? '' : `?${parts.join('&')}`;
  }
  method(): string {
    return this.random() < 0.75 ? this.pick(COMMON_METHODS) : this.pick(WELL_FORMED_METHODS);
  }
  /** A token llhttp rejects: upper-case letters, not one of http.METHODS. */
  madeUpMethod(): string {
    for (;;) {
      const token = Array.from({ length: 3 + this.int(8) }, () => String.fromCharCode(65 + this.int(26))).join('');
      if (!http.METHODS.includes(token)) return token;
    }
  }
  expressPath(): string {
    switch (this.int(7)) {
      case 0:
        return `/users/${this.segment()}`;
      case 1:
        return `/orgs/${this.segment()}/repos/${this.segment()}`;
      case 2:
        return `/files/${Array.from({ length: 1 + this.int(4) }, () => this.segment()).join('/')}`;
      case 3:
        return '/search';
      case 4:
        return `/api/items/${this.segment()}`;
      case 5:
        return `/api/${this.segment()}`; // mounted router, no route
      default:
        return `/${Array.from({ length: 1 + this.int(4) }, () => this.segment()).join('/')}`;
    }
  }
  randomPath(): string {
    return `/${Array.from({ length: 1 + this.int(5) }, () => this.segment()).join('/')}`;
  }
}

function tally(result: TrafficResult, kind: Kind): KindTally {
  return (result.byKind[kind] ??= { sent: 0, statuses: {}, noAnswer: 0, errors: 0 });
}

export type Outcome = { status: number } | { noAnswer: true } | { error: true };

/**
 * A well-formed request through node's client; resolves with the status, or how it failed.
 * `abortOnResponse`: the client goes away as soon as the response headers arrive.
 */
export function clientRequest(
  port: number,
  agent: http.Agent | false,
  method: string,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; body?: string; abortOnResponse?: boolean } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: options.headers }, (res) => {
      if (options.abortOnResponse === true) {
        // The server is mid-response: the client goes away (an aborted request).
        req.destroy();
        done({ status: res.statusCode ?? 0 });
        return;
      }
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? 0 }));
      res.on('error', () => done({ error: true }));
      res.on('aborted', () => done({ error: true }));
    });
    req.on('error', () => done({ error: true }));
    const timer = setTimeout(() => {
      req.destroy();
      done({ noAnswer: true });
    }, OPERATION_TIMEOUT_MS);
    timer.unref();
    req.end(options.body);
  });
}

/**
 * Raw bytes on a fresh connection. `then`: `end` half-closes after writing, `destroy` resets,
 * `wait` leaves it to the server. Resolves with the status line's code when the server answered.
 */
function rawRequest(port: number, data: string, then: 'end' | 'destroy' | 'wait'): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (head.length < 64) head += chunk;
    });
    socket.on('error', () => undefined); // resets are expected outcomes
    const timer = setTimeout(() => socket.destroy(), OPERATION_TIMEOUT_MS);
    timer.unref();
    socket.on('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve(status ? { status: Number(status[1]) } : { noAnswer: true });
    });
    socket.on('connect', () => {
      socket.write(data, 'latin1', () => {
        if (then === 'end') socket.end();
        else if (then === 'destroy') socket.destroy();
      });
    });
  });
}

/** Malformed requests; each is rejected by node's parser (or, for a bad body, ends the request). */
function malformed(mix: Mix): string {
  const path = mix.randomPath();
  switch (mix.int(8)) {
    case 0:
      return `GET ${path} HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n`;
    case 1:
      return `GET ${path} HTTP/1.1\r\nHost: x\r\nBad Name: space in the name\r\n\r\n`;
    case 2:
      return `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n`;
    case 3:
      return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
    case 4:
      return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`;
    case 5:
      return `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`;
    case 6:
      // Headers are fine, the chunked body is not: the request starts, then the parser fails.
      return `POST /users/${mix.segment()} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n`;
    default:
      return `GET ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n`;
  }
}

async function one(mix: Mix, kind: Kind, options: TrafficOptions, agent: http.Agent, idle: net.Socket[]): Promise<Outcome> {
  const port = mix.random() < 0.5 ? options.expressPort : options.nodePort;
  switch (kind) {
    case 'express':
    case 'gen':
    case 'random': {
      const method = mix.method();
      const target =
        kind === 'express'
          ? `${mix.expressPath()}${mix.query()}`
          : kind === 'gen'
            ? `/gen/${mix.int(GEN_ROUTES + 100)}/${mix.segment()}${mix.query()}`
            : `${mix.randomPath()}${mix.query()}`;
      mix.targets.add(target);
      mix.methods.add(method);
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? JSON.stringify({ n: mix.segment() }) : undefined;
      const headers: http.OutgoingHttpHeaders = { 'user-agent': `bad-traffic/${mix.segment()}`, 'x-request-id': mix.segment() };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return clientRequest(kind === 'express' ? options.expressPort : kind === 'gen' ? options.nodePort : port, agent, method, target, { headers, body });
    }
    case 'fail': {
      const target = mix.random() < 0.7 ? `/fail/${mix.pick([500, 502, 503])}?${mix.segment()}` : `/throw/${mix.segment()}`;
      mix.targets.add(target);
      return clientRequest(options.expressPort, agent, 'GET', target);
    }
    case 'made-up-method': {
      const method = mix.madeUpMethod();
      mix.methods.add(method);
      return rawRequest(port, `${method} ${mix.randomPath()} HTTP/1.1\r\nHost: x\r\n\r\n`, 'wait');
    }
    case 'connect':
      return rawRequest(port, 'CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n', 'wait');
    case 'oversized': {
      // Over node's default --max-http-header-size (16 KiB): a big header value, many headers, or a long URL.
      const size = 17 * 1024 + mix.int(48 * 1024);
      const variant = mix.int(3);
      if (variant === 0) return rawRequest(port, `GET ${mix.randomPath()} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\n\r\n`, 'wait');
      if (variant === 1) {
        const many = Array.from({ length: Math.ceil(size / 40) }, (_, i) => `X-H${i}: ${'v'.repeat(32)}\r\n`).join('');
        return rawRequest(port, `GET ${mix.randomPath()} HTTP/1.1\r\nHost: x\r\n${many}\r\n`, 'wait');
      }
      return rawRequest(port, `GET /users/${'u'.repeat(size)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'wait');
    }
    case 'malformed':
      return rawRequest(port, malformed(mix), 'wait');
    case 'aborted': {
      const method = mix.pick(['GET', 'POST', 'PROPFIND']);
      mix.methods.add(method);
      const target = `/slow/${mix.segment()}${mix.query()}`;
      mix.targets.add(target);
      return clientRequest(port, agent, method, target, { abortOnResponse: true });
    }
    case 'half-open':
      // A complete request, then the client's FIN; or headers that never finish, then FIN.
      return mix.random() < 0.6
        ? rawRequest(port, `GET /slow/${mix.segment()} HTTP/1.1\r\nHost: x\r\n\r\n`, 'end')
        : rawRequest(port, `GET /users/${mix.segment()} HTTP/1.1\r\nHost: x\r\n`, 'end');
    case 'truncated':
      return rawRequest(port, `POST /users/${mix.segment()} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b`, mix.random() < 0.5 ? 'destroy' : 'end');
    case 'idle': {
      // Connected, never a byte: held open until the end of the run.
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      idle.push(socket);
      return { noAnswer: true };
    }
  }
}

/** Send `total` operations of the mix with bounded concurrency; the idle connections close at the end. */
export async function sendBadTraffic(options: TrafficOptions): Promise<TrafficResult> {
  const started = performance.now();
  const mix = new Mix(options.seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 32 });
  const idle: net.Socket[] = [];
  const result: TrafficResult = { seed: options.seed, total: options.total, byKind: {}, distinctTargets: 0, distinctMethods: 0, ms: 0 };
  let next = 0;
  let done = 0;
  const every = options.every ?? Infinity;
  const worker = async (): Promise<void> => {
    while (next < options.total) {
      next++;
      const kind = mix.kind();
      const entry = tally(result, kind);
      entry.sent++;
      const outcome = await one(mix, kind, options, agent, idle);
      if ('status' in outcome) entry.statuses[outcome.status] = (entry.statuses[outcome.status] ?? 0) + 1;
      else if ('error' in outcome) entry.errors++;
      else entry.noAnswer++;
      done++;
      if (done % every === 0) await options.onProgress?.(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
  } finally {
    agent.destroy();
    await Promise.all(
      idle.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.closed) resolve();
            else socket.once('close', () => resolve()).destroy();
          }),
      ),
    );
  }
  result.distinctTargets = mix.targets.size;
  result.distinctMethods = mix.methods.size;
  result.ms = performance.now() - started;
  return result;
}

// ---------------------------------------------------------------------------------------------
// The server child and what it reports.

export interface MemoryFigure {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

export interface InstrumentFigure {
  name: string;
  series: number;
  maxSeries: number;
  capped: boolean;
  overflowed: number;
}

/** What the server child collected: every point's attributes and value, and the store's state. */
export interface MetricsSummary {
  metrics: { name: string; points: { attributes: Attributes; value: number }[] }[];
  instruments: InstrumentFigure[];
  internalErrors: number;
  /** Uncaught exceptions and unhandled rejections in the server child. */
  uncaught: string[];
  /** Requests the applications' handlers saw. */
  handled: number;
}

export interface MemorySample extends MemoryFigure {
  /** ms since the child started */
  t: number;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./bad-traffic-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The server child (bad-traffic-server.ts) under --expose-gc, driven over IPC. */
export class TrafficServer {
  readonly samples: MemorySample[] = [];
  private id = 0;
  private constructor(
    readonly child: Child,
    readonly nodePort: number,
    readonly expressPort: number,
  ) {}

  /** `sampleMs`: the child sends a memory sample (no gc) this often. */
  static async start(options: { sampleMs?: number } = {}): Promise<TrafficServer> {
    const child = new Child('bad-traffic-server', SERVER_SCRIPT, options.sampleMs !== undefined ? [`--sample-ms=${options.sampleMs}`] : [], {
      cwd: REPO_ROOT,
      // gc() in the child, so heap figures are live objects rather than garbage not yet collected.
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() },
    });
    const ready = await child.waitFor(
      (msg) => ((msg as { type?: string }).type === 'ready' ? (msg as { nodePort: number; expressPort: number }) : undefined),
      30_000,
      'server child ready',
    );
    const server = new TrafficServer(child, ready.nodePort, ready.expressPort);
    child.proc.on('message', (msg: { type?: string; sample?: MemorySample }) => {
      if (msg.type === 'sample' && msg.sample !== undefined) server.samples.push(msg.sample);
    });
    return server;
  }

  private call<T>(cmd: string, timeoutMs = 30_000): Promise<T> {
    const id = ++this.id;
    const answer = this.child.waitFor(
      (msg) => {
        const m = msg as { id?: number; result?: T; error?: string };
        if (m.id !== id) return undefined;
        if (m.error !== undefined) throw new Error(`server child, ${cmd}: ${m.error}`);
        return { result: m.result as T };
      },
      timeoutMs,
      `server child, ${cmd}`,
    );
    this.child.send({ id, cmd });
    return answer.then((a) => a.result);
  }

  /** Start otel-health's instrumentation and a cumulative reader in the child. */
  instrument(): Promise<void> {
    return this.call('instrument');
  }
  /** Wait (bounded) until every server-side socket closed; resolves with how many are still open. */
  settle(): Promise<number> {
    return this.call('settle');
  }
  /** gc() twice, then process.memoryUsage(). */
  memory(): Promise<MemoryFigure> {
    return this.call('memory');
  }
  metrics(): Promise<MetricsSummary> {
    return this.call('metrics');
  }
  async stop(): Promise<void> {
    this.child.send({ id: ++this.id, cmd: 'exit' });
    await this.child.stop(5000);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks.

export const ACTIVE = 'http.server.active_requests';
export const OPEN = 'otel_health.http.server.open_connections';
export const DURATION = 'http.server.request.duration';

export function sumOfPoints(summary: MetricsSummary, name: string): number {
  return (summary.metrics.find((m) => m.name === name)?.points ?? []).reduce((total, p) => total + p.value, 0);
}

/**
 * Everything that must hold after any amount of bad traffic, once the connections closed; an
 * empty list when all does. Shared by the short test and the long bench.
 */
export function violations(summary: MetricsSummary): string[] {
  const problems: string[] = [];
  const known = new Set<string>(KNOWN_METHODS);
  for (const instrument of summary.instruments) {
    if (instrument.series > instrument.maxSeries) problems.push(`${instrument.name}: ${instrument.series} series over the cap ${instrument.maxSeries}`);
  }
  for (const metric of summary.metrics) {
    const instrument = summary.instruments.find((i) => i.name === metric.name);
    for (const { attributes } of metric.points) {
      if (attributes['otel.metric.overflow'] === true && (instrument === undefined || !instrument.capped || instrument.series !== instrument.maxSeries)) {
        problems.push(`${metric.name}: overflow series used before the cap (${JSON.stringify(instrument)})`);
      }
      const method = attributes['http.request.method'];
      if (method !== undefined && !known.has(String(method))) problems.push(`${metric.name}: method attribute ${JSON.stringify(method)}`);
      const route = attributes['http.route'];
      if (route !== undefined && !isRegisteredTemplate(route)) problems.push(`${metric.name}: http.route ${JSON.stringify(route)} is not a registered template`);
    }
  }
  const active = sumOfPoints(summary, ACTIVE);
  if (active !== 0) problems.push(`${ACTIVE} is ${active} after every connection closed`);
  const open = sumOfPoints(summary, OPEN);
  if (open !== 0) problems.push(`${OPEN} is ${open} after every connection closed`);
  if (summary.internalErrors !== 0) problems.push(`${summary.internalErrors} internal errors in the instrumentation`);
  if (summary.uncaught.length > 0) problems.push(`uncaught in the server: ${summary.uncaught.join(' | ')}`);
  return problems;
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number): string => (bytes / MiB).toFixed(2);
