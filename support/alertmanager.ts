/**
 * A real Alertmanager (Debian's `prometheus-alertmanager`) on loopback, for the Alertmanager
 * sink's system test and benchmark: its own temporary config and storage directory, a free
 * port, clustering off (`--cluster.listen-address=`), and a restart on the same port and
 * storage (its silences and notification log survive; its alerts, kept in memory only, do not).
 * Also its webhook receiver's side: an HTTP server in the calling process that records each
 * notification and lets the caller await the next one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen } from './http.js';

/** The Alertmanager binary: Debian names it prometheus-alertmanager; upstream alertmanager. */
export const alertmanagerBinary: string | undefined = ['prometheus-alertmanager', 'alertmanager'].find(
  (name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0,
);

/** amtool (same package), to check configurations. */
export const amtoolInstalled = spawnSync('amtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** A port that was free a moment ago, for programs that take a fixed port rather than 0. */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await close(probe);
  return port;
}

export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  version: string;
  log(): string;
  /** SIGTERM (as a service manager would), then start again on the same port and storage. */
  restart(): Promise<void>;
  /** Stopped until restart(). */
  stopProcess(): Promise<void>;
  /** Stop for good and remove its directory. */
  stop(): Promise<void>;
  /** GET /api/v2/alerts (active, silenced and inhibited, not resolved). */
  alerts(filter?: string): Promise<Array<{ labels: Record<string, string>; status: { state: string; silencedBy: string[] }; endsAt: string; startsAt: string }>>;
  /** POST /api/v2/silences: its id. */
  silence(matchers: Record<string, string>, seconds: number): Promise<string>;
  expireSilence(id: string): Promise<void>;
}

/** Alertmanager with `configYaml`, ready (its /-/ready answers) when this resolves. */
export async function startAlertmanager(configYaml: string, options: { readyTimeoutMs?: number } = {}): Promise<RunningAlertmanager> {
  const binary = alertmanagerBinary;
  if (binary === undefined) throw new Error('Alertmanager is not installed (apt-get install -y --no-install-recommends prometheus-alertmanager)');
  const dir = mkdtempSync(join(tmpdir(), 'otel-health-am-'));
  writeFileSync(join(dir, 'alertmanager.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const version = `${spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout}${spawnSync(binary, ['--version'], { encoding: 'utf8' }).stderr}`.split('\n')[0]!.trim();
  let log = '';
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      binary,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const keep = (d: Buffer): void => {
      log = (log + d.toString()).slice(-8000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('error', (e) => keep(Buffer.from(String(e))));
    // Bounded polling: an external process that offers no readiness event.
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`alertmanager exited: ${log}`);
      if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return;
      if (Date.now() >= deadline) throw new Error(`alertmanager not ready: ${log}`);
      await sleep(100);
    }
  };

  const stopProcess = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  const api = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`alertmanager ${init?.method ?? 'GET'} ${path}: ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };

  await launch();
  return {
    url,
    version,
    log: () => log,
    async restart() {
      await stopProcess();
      await launch();
    },
    stopProcess,
    async stop() {
      await stopProcess();
      rmSync(dir, { recursive: true, force: true });
    },
    async alerts(filter) {
      return (await api(`/api/v2/alerts${filter !== undefined ? `?filter=${encodeURIComponent(filter)}` : ''}`)) as never;
    },
    async silence(matchers, seconds) {
      const now = Date.now();
      const body = {
        matchers: Object.entries(matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + seconds * 1000).toISOString(),
        createdBy: 'otel-health test',
        comment: 'silenced by the test',
      };
      const created = (await api('/api/v2/silences', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })) as { silenceID: string };
      return created.silenceID;
    },
    async expireSilence(id) {
      await api(`/api/v2/silence/${id}`, { method: 'DELETE' });
    },
  };
}

/** One webhook notification from Alertmanager (its webhook payload, version 4). */
export interface AlertmanagerNotification {
  /** performance.now() at arrival, ms. */
  t: number;
  path: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  alerts: Array<{ status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string }>;
}

export interface WebhookReceiver {
  url: string;
  notifications: AlertmanagerNotification[];
  /** Resolves with the first notification (already received or to come) after index `from` that `match` accepts. */
  next(match: (n: AlertmanagerNotification) => boolean, from?: number, timeoutMs?: number): Promise<AlertmanagerNotification>;
  close(): Promise<void>;
}

/** Alertmanager's webhook receiver: records each notification; awaited, never polled. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: AlertmanagerNotification[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const t = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        notifications.push({ t, path: req.url ?? '', ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<AlertmanagerNotification, 't' | 'path'>) });
      } catch {
        // Not Alertmanager's JSON: not a notification.
      }
      res.writeHead(200).end();
      for (const waiter of waiters) waiter();
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    next(match, from = 0, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = notifications.slice(from).find(match);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching Alertmanager notification within ${timeoutMs} ms; received: ${JSON.stringify(notifications.map((n) => [n.status, n.alerts.map((a) => a.status)]))}`));
        }, timeoutMs);
        timer.unref();
        if (!check()) waiters.add(check);
      });
    },
    close: () => close(server),
  };
}
