/**
 * The webhook sink against a real local HTTP receiver: success, 500 then success, 429 with
 * Retry-After, a receiver that hangs, a full queue. Backoff sleeps and jitter are injected
 * (recorded, not waited); attempt timeouts are real (AbortSignal).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { parseRetryAfter, WebhookSink, type WebhookOptions } from '../../src/alerts/sinks/webhook.js';
import { notificationOf, type Notification } from '../../src/alerts/stage.js';
import { T0, tr } from '../helpers/alerts.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

async function receiver(t: TestContext, handler: Handler) {
  const bodies: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      headers.push(req.headers);
      handler(req, res, body, bodies.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/s3cr3t-path`, bodies, headers };
}

function sink(url: string, options: Partial<WebhookOptions> = {}) {
  const sleeps: number[] = [];
  const reports: string[] = [];
  const s = new WebhookSink(
    'hook',
    { url, headers: { authorization: 'Bearer top-secret' }, timeout: 0.3, retries: 3, backoff: 1, maxBackoff: 30, maxRetryAfter: 60, queueSize: 10, allowHttp: true, ...options },
    {
      now: () => T0,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
      report: (m) => reports.push(m),
    },
  );
  return { s, sleeps, reports };
}

const note = (rule = 'error_rate'): Notification => notificationOf('checkout', [{ transition: tr('firing', T0, { rule: rule as never }) }], T0);

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('webhook sink', () => {
  it('200: one JSON POST with the configured headers', async (t) => {
    const rx = await receiver(t, (_req, res) => res.writeHead(200).end('ok'));
    const { s } = sink(rx.url);
    s.send(note());
    await s.flush(5000);
    assert.equal(s.stats().sent, 1);
    const body = JSON.parse(rx.bodies[0]!) as { version: number; service: string; alerts: { rule: string; transition: string }[] };
    assert.equal(body.version, 1);
    assert.equal(body.service, 'checkout');
    assert.deepEqual(body.alerts.map((a) => [a.rule, a.transition]), [['error_rate', 'firing']]);
    assert.equal(rx.headers[0]!['content-type'], 'application/json');
    assert.equal(rx.headers[0]!.authorization, 'Bearer top-secret');
  });

  it('500 twice then 200: retried with exponential backoff and jitter', async (t) => {
    const rx = await receiver(t, (_req, res, _b, n) => res.writeHead(n <= 2 ? 500 : 200).end());
    const { s, sleeps } = sink(rx.url);
    s.send(note());
    await s.flush(5000);
    assert.deepEqual(s.stats(), { sent: 1, failed: 0, dropped: 0, queued: 0, retries: 2, lastError: 'http 500' });
    // base 1 s, 2 s; jitter in [½, 1] with random 0.5 → ¾ of each.
    assert.deepEqual(sleeps, [750, 1500]);
  });

  it('500 always: gives up after retries, reports without URL path or header values', async (t) => {
    const rx = await receiver(t, (_req, res) => res.writeHead(500).end());
    const { s, sleeps, reports } = sink(rx.url, { retries: 2 });
    s.send(note());
    await s.flush(5000);
    assert.equal(rx.bodies.length, 3);
    assert.deepEqual([s.stats().failed, sleeps], [1, [750, 1500]]);
    assert.equal(reports.length, 1);
    assert.doesNotMatch(reports.join('\n'), /s3cr3t|top-secret/);
    assert.match(reports[0]!, /http 500/);
  });

  it('429 with Retry-After: waits what the receiver asked', async (t) => {
    const rx = await receiver(t, (_req, res, _b, n) => (n === 1 ? res.writeHead(429, { 'retry-after': '7' }).end() : res.writeHead(204).end()));
    const { s, sleeps } = sink(rx.url);
    s.send(note());
    await s.flush(5000);
    assert.deepEqual([s.stats().sent, sleeps], [1, [7000]]);
    assert.equal(parseRetryAfter(new Date(T0 + 12_000).toUTCString(), T0), 12_000);
    assert.equal(parseRetryAfter('soon', T0), undefined);
  });

  it('a hanging receiver costs one timeout per attempt and never blocks send()', async (t) => {
    const rx = await receiver(t, () => undefined); // never answers
    const { s } = sink(rx.url, { retries: 1, timeout: 0.2 });
    const started = performance.now();
    s.send(note());
    s.send(note('cpu'));
    assert.ok(performance.now() - started < 50, 'send() returned at once');
    await until(() => s.stats().failed === 2);
    assert.equal(s.stats().lastError, 'timeout');
    assert.equal(rx.bodies.length, 4);
  });

  it('bounded queue: drops are counted and reported', async (t) => {
    const rx = await receiver(t, () => undefined);
    const { s, reports } = sink(rx.url, { retries: 0, timeout: 0.2, queueSize: 2 });
    for (let i = 0; i < 10; i++) s.send(note());
    // One in flight, two queued, seven dropped.
    assert.deepEqual([s.stats().dropped, s.stats().queued], [7, 2]);
    assert.match(reports[0]!, /queue full/);
    assert.doesNotMatch(reports.join('\n'), /s3cr3t|top-secret/);
    await until(() => s.stats().failed === 3);
  });

  it('https is required unless allowHttp; no credentials in the URL', () => {
    assert.throws(() => sink('http://example.com/x', { allowHttp: false }), /https/);
    assert.throws(() => sink('https://user:pw@example.com/x'), /credentials/);
    assert.doesNotThrow(() => sink('https://example.com/x', { allowHttp: false }));
  });
});
