/**
 * Issue 11 end to end: a real app, the monitor's rule engine, its pipeline and the status server.
 * The error rate goes CRITICAL → ERROR → 0: the console says so at each step, the alert history
 * holds the drop, /health/ready stays 503 at ERROR, and the page's timeline ends the CRITICAL bar
 * where the ERROR one starts. Checks run only when the test calls monitorService().
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { startHealthMonitoring, statusServerOf } from '../../src/index.js';
import { close, listen, request } from '../../support/http.js';

test('CRITICAL → de-escalated ERROR → resolved: console, history, readiness and the page agree', async () => {
  const app = http.createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end('x');
  });
  const appPort = await listen(app);
  const lines: string[] = [];
  const monitor = await startHealthMonitoring({
    serviceName: 'checkout',
    hostMetrics: false,
    loggerProvider: new LoggerProvider(),
    checkInterval: 3600,
    responseTimeThreshold: false,
    errorThreshold: { warning: 0.05, error: 0.1, critical: 0.5, minRequests: 1 },
    resourceThresholds: { cpu: false, memory: false, eventLoopDelay: false, connections: false },
    alerts: { defaultRoute: { sinks: ['otel-log', 'console'] } },
    statusServer: { port: 0 },
  });
  // The console sink writes with console.log: capture the alert lines only.
  const log = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (line.includes('[otel-health]')) lines.push(line);
    else log(...args);
  };
  const check = async (failEvery: number) => {
    for (let i = 0; i < 20; i++) await request(appPort, failEvery > 0 && i % failEvery === 0 ? '/fail' : '/ok');
    await monitor.monitorService();
  };
  const base = statusServerOf(monitor)!.url;
  try {
    await check(1); // 100 % errors: CRITICAL
    await check(4); // 25 %: below 0.8 × 50 %, still ≥ 10 %: ERROR
    assert.deepEqual(monitor.firingAlerts().map((a) => [a.rule, a.level]), [['error_rate', 'ERROR']]);
    assert.equal((await fetch(`${base}/health/ready`)).status, 503, 'ERROR still takes it out of rotation');
    await check(0); // 0 %: resolved

    assert.deepEqual(
      monitor.alertHistory().map((e) => [e.kind, e.alert.level, e.previousLevel]),
      [
        ['firing', 'CRITICAL', undefined],
        ['de-escalated', 'ERROR', 'CRITICAL'],
        ['resolved', 'ERROR', undefined],
      ],
    );
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /\] CRITICAL firing checkout: error rate /);
    assert.match(lines[1]!, /\] ERROR de-escalated checkout: error rate 25% ≥ 10% \(was CRITICAL\)$/);
    assert.match(lines[2]!, /\] ERROR resolved checkout: error rate /);

    const html = await (await fetch(`${base}/`)).text();
    const bars = [...html.matchAll(/<rect class="bar lv-(\w+)"[^>]*><title>error_rate · checkout: (\w+) ([\d:]+)–([\d:]+|now)<\/title>/g)].map((m) => ({ level: m[2], from: m[3], to: m[4] }));
    assert.deepEqual(bars.map((b) => b.level), ['CRITICAL', 'ERROR']);
    assert.equal(bars[0]!.to, bars[1]!.from, 'the CRITICAL bar ends where the ERROR bar starts');
    assert.notEqual(bars[1]!.to, 'now', 'the ERROR bar ends at the resolve');
    assert.match(html, /<td class="kind">de-escalated \(from CRITICAL\)<\/td>/);
  } finally {
    console.log = log;
    await monitor.shutdown();
    await close(app);
  }
});
