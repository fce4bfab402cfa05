/**
 * The opt-in status server: a small node:http server, bound to 127.0.0.1 unless told otherwise.
 *
 * | path | answer |
 * |---|---|
 * | `/health/live` | 200 while the process answers (Kubernetes liveness) |
 * | `/health/ready` | 200, or 503 while an alert (not an SLO alert) fires at ERROR or CRITICAL, or once shutdown began |
 * | `/health` | JSON: the latest HealthMetrics per service, the firing alerts, the check results; with the `slos` option, each objective's budget and burn rates (`slos`, with a `note` while the budget covers less than its window) |
 * | `/` | an HTML page: status, plots over the retained history (anomaly scores with the `anomaly` option), service level objectives (budget, burn rates, budget over time), alert timeline; with a store, `/?range=7d` and `/?range=30d` plot the store's finest tier that keeps the whole range (5-minute by default; anything else: 24 h) |
 *
 * With a token, `/` and `/health` need `Authorization: Bearer <token>` (or HTTP Basic with the
 * token as password, so a browser can prompt); the probes stay open and say only ready or not.
 * Bounds: GET and HEAD only (405), no request body (413), a process-wide token bucket (429),
 * header and request timeouts, small header and URL limits. Answers never carry stack traces or
 * configuration beyond the service name and check interval. The server is marked with
 * ignoreServer before it listens, so its requests never count in the service's metrics.
 */
import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { HealthMonitor } from '../monitor/index.js';
import { MonitoringLevel, highestLevel, type HealthMetrics, type SloStatus } from '../model/index.js';
import { ignoreServer } from '../instrumentation/index.js';
import type { RuleConfig, StoreConfig } from '../config/index.js';
import { RANGES, parseRange, renderPage, type RangeKey, type StatusSnapshot } from './page.js';
import { coverageNote } from './slo-text.js';

export interface StatusServerOptions {
  /** TCP port; 0 picks a free one (read it back from `server.port`). */
  port: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Bearer token for `/` and `/health`. Without it, and bound beyond loopback, a warning is logged at start. */
  token?: string;
  /** Requests per second the token bucket refills (process-wide). Default 50; the burst is twice that. */
  rateLimit?: number;
  /** Where the start-up warning goes. Default console.warn. */
  log?: (line: string) => void;
}

export interface StatusServer {
  /** `http://host:port`, with the bound port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True once shutdown began: /health/ready answers 503. */
  readonly draining: boolean;
  /** Mark the process as shutting down (/health/ready → 503). The server keeps answering. */
  drain(): void;
  /** Stop listening and close idle connections. Idempotent. */
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 2048;
const MAX_HEADER_SIZE = 8 * 1024;
const MAX_SERVICES = 100;
const MAX_TIMELINE_ENTRIES = 2000;
const READY_BLOCKING_LEVELS = new Set([MonitoringLevel.ERROR, MonitoringLevel.CRITICAL]);
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** True when `host` is a loopback address (only this machine can connect). */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/** A simple token bucket: `rate` tokens per second, at most `burst` stored. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Compares digests (always 32 bytes) in constant time: neither content nor length leaks. */
function tokenMatches(expected: Buffer, given: string | undefined): boolean {
  const candidate = digest(given ?? '');
  return timingSafeEqual(expected, candidate) && given !== undefined;
}

/** The token from `Authorization: Bearer <t>` or `Basic base64(user:<t>)`. */
function presentedToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 4096) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

function errorLevel(rule: RuleConfig | false): number | undefined {
  return rule === false ? undefined : (rule.error ?? rule.warning ?? rule.critical);
}

/** An objective as /health shows it: its status, and while the budget covers less than the window, why. */
export type PublicSloStatus = SloStatus & { note?: string };

function publicSlos(slos: Record<string, SloStatus>, store: boolean): Record<string, PublicSloStatus> {
  return Object.fromEntries(
    Object.entries(slos).map(([name, slo]) => {
      const note = coverageNote(slo, store);
      return [name, note === undefined ? slo : { ...slo, note }];
    }),
  );
}

/**
 * Check results without anything but their outcome and a short message (never a stack); each
 * objective with its coverage note.
 */
function publicMetrics(m: HealthMetrics, store: boolean): HealthMetrics {
  return {
    ...m,
    checks: m.checks.map((c) => ({ ...c, ...(c.error !== undefined ? { error: shortMessage(c.error) } : {}) })),
    ...(m.slos !== undefined ? { slos: publicSlos(m.slos, store) } : {}),
  };
}

/**
 * The store tier a 7 d or 30 d view reads: the finest whose retention keeps the whole range,
 * else the coarsest. Named explicitly rather than left to the query's 'auto', which decides
 * by milliseconds and so flips to the 1-hour tier at exactly 30 days (the 5-minute tier's
 * retention by default).
 */
export function rangeResolution(rangeSeconds: number, tiers: StoreConfig['tiers']): number | undefined {
  return (tiers.find((t) => t.retention >= rangeSeconds) ?? tiers.at(-1))?.resolution;
}

function shortMessage(message: string): string {
  const firstLine = message.split('\n', 1)[0] ?? '';
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}…` : firstLine;
}

const servers = new WeakMap<HealthMonitor, StatusServer>();

/** The status server startHealthMonitoring started for `monitor` (its url and port), if any. */
export function statusServerOf(monitor: HealthMonitor): StatusServer | undefined {
  return servers.get(monitor);
}

/**
 * Start the status server for `monitor`. Resolves once it listens; rejects when it cannot bind.
 * startHealthMonitoring calls this when `statusServer` (or OTEL_HEALTH_STATUS_PORT) is set.
 */
export async function startStatusServer(monitor: HealthMonitor, options: StatusServerOptions): Promise<StatusServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.warn(line));
  const expected = options.token !== undefined ? digest(options.token) : undefined;
  const rate = options.rateLimit !== undefined && options.rateLimit > 0 ? options.rateLimit : 50;
  const bucket = new TokenBucket(rate, rate * 2);
  let draining = false;

  // The latest HealthMetrics of each service checked (monitorService(id) may name others).
  const latest = new Map<string, HealthMetrics>();
  const remember = (m: HealthMetrics): void => {
    latest.delete(m.serviceId);
    latest.set(m.serviceId, m);
    if (latest.size > MAX_SERVICES) latest.delete(latest.keys().next().value!);
  };
  const seed = monitor.latest();
  if (seed !== undefined) remember(seed);
  monitor.on('check', remember);

  const readiness = (): { ready: boolean; status: string; reason?: string } => {
    if (draining) return { ready: false, status: 'not ready', reason: 'shutting down' };
    // An SLO alert speaks of the service's error budget over hours or days: taking this instance
    // out of its load balancer would not spend less of it, and a burn seen by every replica
    // would take them all out at once.
    const level = highestLevel(monitor.firingAlerts().filter((a) => !a.rule.startsWith('slo:')));
    if (READY_BLOCKING_LEVELS.has(level)) return { ready: false, status: 'not ready', reason: `unhealthy (${level})` };
    return { ready: true, status: 'ready' };
  };

  const store = monitor.config.store !== undefined;
  const healthBody = () => {
    const firing = monitor.firingAlerts();
    const own = latest.get(monitor.config.serviceName) ?? monitor.latest();
    const ownPublic = own === undefined ? undefined : publicMetrics(own, store);
    return {
      service: monitor.config.serviceName,
      status: own?.status ?? 'unknown',
      level: highestLevel(firing),
      ready: readiness().ready,
      shuttingDown: draining,
      checkInterval: monitor.config.checkInterval,
      timestamp: own?.timestamp,
      services: Object.fromEntries([...latest].map(([id, m]) => [id, publicMetrics(m, store)])),
      alerts: firing,
      checks: ownPublic?.checks ?? [],
      // This service's objectives, as `checks` are its check results (absent without the slos option).
      ...(ownPublic?.slos !== undefined ? { slos: ownPublic.slos } : {}),
    };
  };

  /**
   * 24 h: the raw rows in memory, as retained. 7 d and 30 d (only with a store): the monitor's
   * history since then, from the store's tier that keeps the range (the 5-minute one by default).
   */
  const snapshot = (range: RangeKey): StatusSnapshot => {
    const c = monitor.config;
    const now = Date.now();
    const since = range === '24h' ? undefined : now - RANGES[range].seconds * 1000;
    const resolution = range === '24h' || c.store === undefined ? undefined : rangeResolution(RANGES[range].seconds, c.store.tiers);
    const historyOf = (id: string) =>
      since === undefined ? monitor.history(id) : monitor.history(id, resolution === undefined ? { since } : { since, resolution });
    const ids = [c.serviceName, ...[...latest.keys()].filter((id) => id !== c.serviceName)];
    const alertHistory = monitor.alertHistory(since === undefined ? {} : { since });
    return {
      serviceName: c.serviceName,
      now,
      checkInterval: c.checkInterval,
      retention: c.metricsRetention,
      shuttingDown: draining,
      ready: readiness(),
      level: highestLevel(monitor.firingAlerts()),
      services: ids.slice(0, 10).map((id) => ({
        serviceId: id,
        latest: latest.get(id) ?? (id === c.serviceName ? monitor.latest() : undefined),
        history: historyOf(id),
      })),
      firing: monitor.firingAlerts(),
      alertHistory: alertHistory.slice(-MAX_TIMELINE_ENTRIES),
      thresholds: {
        errorRate: errorLevel(c.errorThreshold),
        p95: errorLevel(c.responseTimeThreshold),
        cpu: errorLevel(c.resourceThresholds.cpu),
        memory: errorLevel(c.resourceThresholds.memory),
        connections: errorLevel(c.resourceThresholds.connections),
      },
      ...(c.anomaly !== false
        ? {
            anomaly: {
              series: [...c.anomaly.series],
              warmup: c.anomaly.warmup,
              levels: { warning: c.anomaly.warning, error: c.anomaly.error, critical: c.anomaly.critical },
            },
          }
        : {}),
      range: { selected: range, store },
    };
  };

  const send = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: string,
    type = 'application/json; charset=utf-8',
    extra: Record<string, string> = {},
  ): void => {
    const payload = Buffer.from(body, 'utf8');
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(payload.length), ...extra });
    res.end(req.method === 'HEAD' ? undefined : payload);
  };
  const json = (req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown, extra?: Record<string, string>) =>
    send(req, res, status, JSON.stringify(value), undefined, extra);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // Anything the client sent beyond the headers is never read: close after answering.
    if (!bucket.take()) return json(req, res, 429, { error: 'too many requests' }, { 'retry-after': '1', connection: 'close' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return json(req, res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD', connection: 'close' });
    }
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
      return json(req, res, 413, { error: 'no request body accepted' }, { connection: 'close' });
    }
    const rawUrl = req.url ?? '/';
    if (rawUrl.length > MAX_URL_LENGTH) return json(req, res, 414, { error: 'URL too long' }, { connection: 'close' });
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);

    if (path === '/health/live') return json(req, res, 200, { status: 'live' });
    if (path === '/health/ready') {
      const r = readiness();
      return json(req, res, r.ready ? 200 : 503, r);
    }
    if (path !== '/health' && path !== '/') return json(req, res, 404, { error: 'not found' });
    if (expected !== undefined && !tokenMatches(expected, presentedToken(req.headers.authorization))) {
      return json(req, res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Basic realm="otel-health", charset="UTF-8"' });
    }
    if (path === '/health') return json(req, res, 200, healthBody());
    const range = parseRange(q < 0 ? '' : rawUrl.slice(q + 1), monitor.config.store !== undefined);
    const { html, nonce } = renderPage(snapshot(range));
    return send(req, res, 200, html, 'text/html; charset=utf-8', {
      'content-security-policy': [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    });
  };

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    try {
      handle(req, res);
    } catch {
      // Never a stack trace in an answer.
      if (!res.headersSent) json(req, res, 500, { error: 'internal error' }, { connection: 'close' });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.maxRequestsPerSocket = 100;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  ignoreServer(server);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, host);
  }).catch((error: unknown) => {
    monitor.off('check', remember);
    throw error;
  });
  server.unref();

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (expected === undefined && !isLoopback(host)) {
    log(
      `otel-health: the status server at ${url} has no token and is bound beyond loopback: anyone who can reach ` +
        'it can read this service\'s health. Set statusServer.token (OTEL_HEALTH_STATUS_TOKEN) or bind 127.0.0.1.',
    );
  }

  let closing: Promise<void> | undefined;
  const status: StatusServer = {
    url,
    host,
    port,
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        draining = true;
        monitor.off('check', remember);
        server.close(() => resolve());
        server.closeIdleConnections();
        // Connections still busy get a bounded wait, then go.
        const timer = setTimeout(() => server.closeAllConnections(), 2_000);
        timer.unref();
      });
      return closing;
    },
  };
  servers.set(monitor, status);
  return status;
}
