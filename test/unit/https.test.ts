// node:https servers: measured with url.scheme=https, each connection counted once (the TLS
// socket a request arrives on and the TCP socket net.server.socket reports are different
// objects), and aborted TLS requests close their active request.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { AggregationTemporality, type Histogram } from '@opentelemetry/sdk-metrics';
import { startHarness, countOf, sumOf, points, type Harness } from '../../support/metrics.js';
import { listen, close, request } from '../../support/http.js';

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
const OPEN = 'otel_health.http.server.open_connections';
const OPENED = 'otel_health.http.server.connections';

/**
 * A self-signed key and certificate for localhost / 127.0.0.1: made with the openssl CLI into a
 * temp dir when it is installed, else the committed test-only pair (test/fixtures, 100 years).
 */
function credentials(): { key: Buffer; cert: Buffer; source: string } {
  const dir = mkdtempSync(join(tmpdir(), 'otel-health-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), source: 'openssl' };
  } catch {
    const fixtures = new URL('../fixtures/', import.meta.url);
    return {
      key: readFileSync(new URL('localhost-key.pem', fixtures)),
      cert: readFileSync(new URL('localhost-cert.pem', fixtures)),
      source: 'test/fixtures',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { key, cert, source } = credentials();

let harness: Harness;
before(() => {
  harness = startHarness({ temporality: AggregationTemporality.DELTA });
});
after(async () => {
  await harness.close();
});

/**
 * Every socket of a TLS server, TCP ('connection') and TLS ('secureConnection') alike, to await
 * their close: the instrumentation closes aborted requests on the TLS socket's close.
 */
function trackTlsSockets(server: tls.Server): { allClosed(): Promise<void>; tcp(): number; tls(): number } {
  const open = new Set<Socket>();
  let tcp = 0;
  let secure = 0;
  const add = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  };
  server.on('connection', (s: Socket) => {
    tcp++;
    add(s);
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    secure++;
    add(s);
  });
  return {
    tcp: () => tcp,
    tls: () => secure,
    async allClosed() {
      // Every socket still in `open` has yet to emit 'close'. (Not `socket.closed`: it turns true
      // in destroy's callback, a tick before 'close' is emitted and the instrumentation hears it.)
      await Promise.all([...open].map((s) => new Promise((resolve) => s.once('close', resolve))));
    },
  };
}

function httpsGet(port: number, path: string, agent: https.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, ca: cert, servername: 'localhost', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function withHttpsServer(
  handler: http.RequestListener,
  body: (port: number, server: https.Server, sockets: ReturnType<typeof trackTlsSockets>) => Promise<void>,
): Promise<void> {
  const server = https.createServer({ key, cert }, handler);
  const sockets = trackTlsSockets(server);
  const port = await listen(server);
  try {
    await body(port, server, sockets);
  } finally {
    await close(server);
  }
}

describe(`https servers (certificate from ${source})`, () => {
  test('requests record url.scheme=https; each connection counts once', async () => {
    await withHttpsServer(
      (req, res) => {
        res.statusCode = req.url === '/fail' ? 500 : 200;
        res.end('secure');
      },
      async (port, _server, sockets) => {
        for (let i = 0; i < 3; i++) assert.equal((await httpsGet(port, `/a/${i}`)).body, 'secure');
        assert.equal((await httpsGet(port, '/fail')).status, 500);
        await sockets.allClosed();
        assert.equal(sockets.tcp(), 4);
        assert.equal(sockets.tls(), 4);
        const metrics = await harness.collect();
        const ps = points<Histogram>(metrics, DURATION);
        assert.equal(countOf(metrics, DURATION), 4);
        assert.deepEqual(
          ps.map((p) => p.attributes['url.scheme']),
          ps.map(() => 'https'),
        );
        assert.equal(countOf(metrics, DURATION, { 'url.scheme': 'https', 'http.response.status_code': 200, 'http.request.method': 'GET' }), 3);
        assert.equal(countOf(metrics, DURATION, { 'url.scheme': 'https', 'http.response.status_code': 500, 'error.type': '500' }), 1);
        assert.equal(sumOf(metrics, OPENED, { 'server.port': port, 'url.scheme': 'https' }), 4, 'four connections, not eight');
        assert.equal(sumOf(metrics, OPENED, { 'server.port': port }), 4, 'no http-scheme series for the TLS server');
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
        assert.equal(sumOf(metrics, ACTIVE), 0);
        assert.equal(sumOf(metrics, ACTIVE, { 'url.scheme': 'https' }), 0);
      },
    );
  });

  test('keep-alive requests on one TLS connection: one connection, open while it lasts', async () => {
    await withHttpsServer(
      (_req, res) => res.end('ok'),
      async (port, server, sockets) => {
        // The connection stays open: await the responses' 'finish' on the server instead (node's
        // own finish listener, which publishes to the instrumentation, runs before this one).
        let finished = 0;
        let allFinished!: () => void;
        const fiveFinished = new Promise<void>((resolve) => (allFinished = resolve));
        server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.on('finish', () => ++finished === 5 && allFinished()));
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; i < 5; i++) await httpsGet(port, `/k/${i}`, agent);
          await fiveFinished;
          let metrics = await harness.collect();
          assert.equal(countOf(metrics, DURATION, { 'url.scheme': 'https' }), 5);
          assert.equal(sumOf(metrics, OPENED, { 'server.port': port }), 1);
          assert.equal(sumOf(metrics, OPEN, { 'server.port': port, 'url.scheme': 'https' }), 1, 'the connection is open');
          agent.destroy();
          await sockets.allClosed();
          metrics = await harness.collect();
          assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0, 'and closed once');
          assert.equal(sumOf(metrics, ACTIVE), 0);
        } finally {
          agent.destroy();
        }
      },
    );
  });

  test('a TLS request aborted before its response closes its active request (error.type aborted)', async () => {
    let arrived!: () => void;
    const arrivedP = new Promise<void>((resolve) => (arrived = resolve));
    await withHttpsServer(
      () => arrived(), // never responds
      async (port, _server, sockets) => {
        const client = tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost' });
        client.on('error', () => {});
        await once(client, 'secureConnect');
        client.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
        await arrivedP;
        let metrics = await harness.collect();
        assert.equal(sumOf(metrics, ACTIVE, { 'url.scheme': 'https', 'http.request.method': 'GET' }), 1, 'active while it runs');
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 1);
        client.destroy();
        await sockets.allClosed();
        metrics = await harness.collect();
        assert.equal(sumOf(metrics, ACTIVE), 0, 'active requests do not leak');
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
        const aborted = points<Histogram>(metrics, DURATION);
        assert.equal(aborted.length, 1);
        assert.deepEqual(aborted[0]!.attributes, { 'http.request.method': 'GET', 'url.scheme': 'https', 'error.type': 'aborted' });
        assert.equal(aborted[0]!.value.count, 1);
      },
    );
  });

  test('a connection dropped during the TLS handshake is counted and closed, with no request', async () => {
    await withHttpsServer(
      (_req, res) => res.end(),
      async (port, server, sockets) => {
        const accepted = once(server, 'connection');
        const client = (await import('node:net')).connect(port, '127.0.0.1');
        client.on('error', () => {});
        await accepted;
        client.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01])); // a truncated ClientHello
        client.destroy();
        await sockets.allClosed();
        const metrics = await harness.collect();
        assert.equal(sumOf(metrics, OPENED, { 'server.port': port }), 1);
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
        assert.equal(countOf(metrics, DURATION), 0);
        assert.equal(sumOf(metrics, ACTIVE), 0);
      },
    );
  });

  test('http and https servers in one process keep their schemes apart', async () => {
    const plain = http.createServer((_req, res) => res.end('plain'));
    const plainPort = await listen(plain);
    try {
      await withHttpsServer(
        (_req, res) => res.end('secure'),
        async (port, _server, sockets) => {
          await httpsGet(port, '/s');
          await httpsGet(port, '/s');
          await request(plainPort, '/p');
          await sockets.allClosed();
          const metrics = await harness.collect();
          assert.equal(countOf(metrics, DURATION, { 'url.scheme': 'https' }), 2);
          assert.equal(countOf(metrics, DURATION, { 'url.scheme': 'http' }), 1);
          assert.equal(sumOf(metrics, OPENED, { 'server.port': port, 'url.scheme': 'https' }), 2);
          assert.equal(sumOf(metrics, OPENED, { 'server.port': (plain.address() as AddressInfo).port, 'url.scheme': 'http' }), 1);
        },
      );
    } finally {
      await close(plain);
    }
  });
});
