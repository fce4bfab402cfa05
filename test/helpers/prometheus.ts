// A real Prometheus (the Debian package) on loopback for end-to-end tests of generated rules.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen } from '../../support/http.js';

export const prometheusInstalled = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;

/** node:test `skip` value: skip where Prometheus is absent, except in CI (where .ci/run installs it). */
export const prometheusSkip: string | false =
  prometheusInstalled || process.env.CI ? false : 'prometheus not installed (apt-get install -y prometheus)';

/** A port that was free a moment ago, for programs that take a fixed port rather than 0. */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await close(probe);
  return port;
}

export interface RunningPrometheus {
  url: string;
  log(): string;
  stop(): Promise<void>;
}

/** Prometheus scraping `target` (host:port) every second and evaluating `rulesYaml` every second. */
export async function startPrometheus(options: { target: string; jobName: string; rulesYaml: string }): Promise<RunningPrometheus> {
  assert.ok(prometheusInstalled, 'prometheus is not installed; CI must install the Debian "prometheus" package');
  const dir = mkdtempSync(join(tmpdir(), 'otel-health-prom-'));
  writeFileSync(join(dir, 'rules.yml'), options.rulesYaml);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      '  - rules.yml',
      'scrape_configs:',
      `  - job_name: ${options.jobName}`,
      '    static_configs:',
      `      - targets: ["${options.target}"]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Bounded polling of an external process that offers no readiness event.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      assert.fail(`prometheus exited: ${log}`);
    }
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
    if (Date.now() >= deadline) {
      await stop();
      assert.fail(`prometheus not ready in 20 s: ${log}`);
    }
    await sleep(200);
  }
  return { url, log: () => log, stop };
}

export interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

/**
 * Poll /api/v1/alerts (Prometheus has no push notification for alert state) until `count`
 * alerts named `alertname` are firing, or `timeoutMs` passes. Returns them and the last answer.
 */
export async function waitForFiring(url: string, alertname: string, count: number, timeoutMs = 60_000): Promise<{ firing: PromAlert[]; last: string }> {
  let firing: PromAlert[] = [];
  let last = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
    last = JSON.stringify(body.data.alerts);
    firing = body.data.alerts.filter((a) => a.labels.alertname === alertname && a.state === 'firing');
    if (firing.length === count) break;
    await sleep(500);
  }
  return { firing, last };
}

/**
 * Load `appUrl` with bursts of 20 requests, half to `/fail`, until `count` alerts named
 * `alertname` fire on Prometheus (or the wait runs out); the load stops either way.
 */
export async function errorBurstUntilFiring(appUrl: string, prometheusUrl: string, alertname: string, count: number): Promise<{ firing: PromAlert[]; last: string }> {
  let stop = false;
  const load = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${appUrl}/${i % 2 === 0 ? 'fail' : 'ok'}`).then((r) => r.arrayBuffer())));
      await sleep(100);
    }
  })();
  try {
    return await waitForFiring(prometheusUrl, alertname, count);
  } finally {
    stop = true;
    await load;
  }
}

/**
 * Poll /api/v1/alerts until `until` holds for the alerts Prometheus reports (any name and
 * state), or `timeoutMs` passes. Returns the last alerts and their JSON.
 */
export async function waitForAlerts(
  url: string,
  until: (alerts: PromAlert[]) => boolean,
  timeoutMs = 60_000,
): Promise<{ alerts: PromAlert[]; met: boolean; last: string }> {
  let alerts: PromAlert[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as { data: { alerts: PromAlert[] } };
    alerts = body.data.alerts;
    if (until(alerts)) return { alerts, met: true, last: JSON.stringify(alerts) };
    if (Date.now() >= deadline) return { alerts, met: false, last: JSON.stringify(alerts) };
    await sleep(500);
  }
}

/** One sample of an instant query's answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * Poll an instant query until its samples satisfy `until` (default: at least one; recordings
 * appear an evaluation after their inputs), or `timeoutMs` passes; returns the last answer.
 */
export async function waitForSamples(
  url: string,
  query: string,
  timeoutMs = 30_000,
  until: (samples: PromSample[]) => boolean = (samples) => samples.length > 0,
): Promise<PromSample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
      status: string;
      error?: string;
      data?: { result: PromSample[] };
    };
    if (body.status !== 'success') assert.fail(`query ${query}: ${body.error}`);
    const result = body.data?.result ?? [];
    if (until(result) || Date.now() >= deadline) return result;
    await sleep(500);
  }
}

/**
 * Load `appUrl` with bursts of 20 requests, half to `/fail`, until `until` holds for the alerts
 * on Prometheus (or the wait runs out); the load stops either way.
 */
export async function errorBurstUntilAlerts(
  appUrl: string,
  prometheusUrl: string,
  until: (alerts: PromAlert[]) => boolean,
): Promise<{ alerts: PromAlert[]; met: boolean; last: string }> {
  let stop = false;
  const load = (async () => {
    while (!stop) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${appUrl}/${i % 2 === 0 ? 'fail' : 'ok'}`).then((r) => r.arrayBuffer())));
      await sleep(100);
    }
  })();
  try {
    return await waitForAlerts(prometheusUrl, until);
  } finally {
    stop = true;
    await load;
  }
}
