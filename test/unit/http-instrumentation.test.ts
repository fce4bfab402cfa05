import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { AggregationTemporality, type Histogram } from '@opentelemetry/sdk-metrics';
import { startHarness, countOf, sumOf, points, type Harness } from '../../support/metrics.js';
import { listen, close, request, trackSockets } from '../../support/http.js';
import { getStore } from '../../src/instrumentation/store.js';
import { setRoute } from '../../src/instrumentation/index.js';
import { collectUncaught } from '../helpers/uncaught.js';

const DURATION = 'http.server.request.duration';
const ACTIVE = 'http.server.active_requests';
const OPEN = 'otel_health.http.server.open_connections';
const OPENED = 'otel_health.http.server.connections';

let harness: Harness;
const uncaught = collectUncaught(['uncaughtException']);

before(() => {
  uncaught.start();
  harness = startHarness({ temporality: AggregationTemporality.DELTA });
});
after(async () => {
  uncaught.stop();
  await harness.close();
  assert.deepEqual(uncaught.errors, [], 'instrumentation never throws into the process');
});

async function withServer(
  handler: http.RequestListener,
  body: (port: number, server: http.Server, sockets: ReturnType<typeof trackSockets>) => Promise<void>,
): Promise<void> {
  const server = http.createServer(handler);
  const sockets = trackSockets(server);
  const port = await listen(server);
  try {
    await body(port, server, sockets);
  } finally {
    await close(server);
  }
}

describe('http.server.request.duration', () => {
  test('records method, status, scheme and seconds; no route without a framework', async () => {
    await withServer(
      (_req, res) => res.end('ok'),
      async (port, _server, sockets) => {
        await request(port, '/users/42?secret=x');
        await request(port, '/users/43', { method: 'POST' });
        await sockets.allClosed();
        const metrics = await harness.collect();
        const ps = points<Histogram>(metrics, DURATION);
        assert.equal(countOf(metrics, DURATION), 2);
        const get = ps.find((p) => p.attributes['http.request.method'] === 'GET')!;
        assert.deepEqual(get.attributes, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200 });
        assert.ok(get.value.sum! > 0 && get.value.sum! < 5, `duration in seconds, got ${get.value.sum}`);
        // The raw URL never becomes an attribute.
        assert.ok(!JSON.stringify(ps.map((p) => p.attributes)).includes('42'));
        assert.equal(sumOf(metrics, ACTIVE), 0);
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
        assert.equal(sumOf(metrics, OPENED, { 'server.port': port }), 2);
      },
    );
  });

  test('5xx sets error.type to the status code; unknown methods become _OTHER', async () => {
    await withServer(
      (req, res) => {
        res.statusCode = req.url === '/fail' ? 503 : 200;
        res.end();
      },
      async (port) => {
        await request(port, '/fail');
        await request(port, '/', { method: 'FOO' as 'GET' }).catch(() => undefined);
        await request(port, '/', { method: 'PURGE' });
        const metrics = await harness.collect();
        assert.equal(countOf(metrics, DURATION, { 'error.type': '503', 'http.response.status_code': 503 }), 1);
        assert.equal(countOf(metrics, DURATION, { 'http.request.method': '_OTHER' }), 1);
      },
    );
  });

  test('HEAD and 1xx informational responses record the final status', async () => {
    await withServer(
      (req, res) => {
        if (req.url === '/early') res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        res.writeHead(200, { 'content-length': '5' });
        res.end(req.method === 'HEAD' ? undefined : 'hello');
      },
      async (port) => {
        await request(port, '/', { method: 'HEAD' });
        await request(port, '/early');
        const metrics = await harness.collect();
        assert.equal(countOf(metrics, DURATION, { 'http.request.method': 'HEAD', 'http.response.status_code': 200 }), 1);
        assert.equal(countOf(metrics, DURATION, { 'http.request.method': 'GET', 'http.response.status_code': 200 }), 1);
      },
    );
  });
});

describe('aborted and unusual requests', () => {
  test('a request aborted before its response closes on socket close: error.type aborted, no leak', async () => {
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    await withServer(
      () => arrived(), // never responds
      async (port, _server, sockets) => {
        const client = net.connect(port, '127.0.0.1');
        client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
        await arrivedP;
        let metrics = await harness.collect();
        assert.equal(sumOf(metrics, ACTIVE), 1, 'the request is active while it runs');
        client.destroy();
        await sockets.allClosed();
        metrics = await harness.collect();
        assert.equal(sumOf(metrics, ACTIVE), 0, 'active requests do not leak');
        const aborted = points<Histogram>(metrics, DURATION).filter((p) => p.attributes['error.type'] === 'aborted');
        assert.equal(aborted.length, 1);
        assert.equal(aborted[0]!.attributes['http.response.status_code'], undefined);
      },
    );
  });

  test('an aborted upload is recorded as aborted', async () => {
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    await withServer(
      (req, res) => {
        req.on('data', () => arrived());
        req.on('end', () => res.end('done'));
        req.on('error', () => {});
      },
      async (port, _server, sockets) => {
        const client = net.connect(port, '127.0.0.1');
        client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'a'.repeat(1000));
        await arrivedP;
        client.destroy();
        await sockets.allClosed();
        const metrics = await harness.collect();
        assert.equal(countOf(metrics, DURATION, { 'error.type': 'aborted', 'http.request.method': 'POST' }), 1);
        assert.equal(sumOf(metrics, ACTIVE), 0);
      },
    );
  });

  test('pipelined keep-alive requests on one connection each count once', async () => {
    await withServer(
      (req, res) => res.end(req.url),
      async (port, _server, sockets) => {
        const client = net.connect(port, '127.0.0.1');
        await once(client, 'connect');
        client.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        let received = '';
        client.on('data', (d) => (received += d));
        await once(client, 'close');
        await sockets.allClosed();
        assert.equal(received.match(/HTTP\/1.1 200/g)?.length, 3);
        const metrics = await harness.collect();
        assert.equal(countOf(metrics, DURATION), 3);
        assert.equal(sumOf(metrics, ACTIVE), 0);
        assert.equal(sumOf(metrics, OPENED, { 'server.port': port }), 1);
        assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
      },
    );
  });

  test('an upgrade (websocket handshake) is not a request; its connection is counted and closed', async () => {
    const server = http.createServer((_req, res) => res.end());
    server.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d) => socket.write(d)); // echo
      socket.on('end', () => socket.end()); // http sockets allow half-open: close our side too
    });
    const sockets = trackSockets(server);
    const port = await listen(server);
    const client = net.connect(port, '127.0.0.1');
    try {
      client.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      await once(client, 'data');
      let metrics = await harness.collect();
      assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 1);
      client.write('ping');
      await once(client, 'data');
      client.destroy();
      await sockets.allClosed();
      metrics = await harness.collect();
      assert.equal(countOf(metrics, DURATION), 0, 'the upgraded connection is no request');
      assert.equal(sumOf(metrics, ACTIVE), 0);
      assert.equal(sumOf(metrics, OPEN, { 'server.port': port }), 0);
    } finally {
      client.destroy(); // upgraded sockets are outside closeAllConnections()
      await close(server);
    }
  });
});

describe('servers, exclusions and faults', () => {
  test('a server created and connected before instrumentation starts is measured', async () => {
    // Stop the harness's hold so no subscriber exists, connect, then start again.
    await harness.close();
    const server = http.createServer((_req, res) => res.end('x'));
    const sockets = trackSockets(server);
    const port = await listen(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await request(port, '/warm', { agent });
    harness = startHarness({ temporality: AggregationTemporality.DELTA });
    try {
      await request(port, '/after', { agent }); // same, pre-existing connection
      agent.destroy();
      await sockets.allClosed();
      const metrics = await harness.collect();
      assert.equal(countOf(metrics, DURATION), 1);
      assert.equal(sumOf(metrics, ACTIVE), 0);
    } finally {
      await close(server);
    }
  });

  test('ignored servers, ports and paths are not measured; a throwing ignoreRequest counts as false', async () => {
    await harness.close();
    const ignored = http.createServer((_req, res) => res.end());
    const byPort = http.createServer((_req, res) => res.end());
    const measured = http.createServer((_req, res) => res.end());
    const ignoredPort = await listen(ignored);
    const byPortPort = await listen(byPort);
    const measuredPort = await listen(measured);
    const before = getStore().instrumentation.internalErrors;
    harness = startHarness({
      temporality: AggregationTemporality.DELTA,
      http: {
        ignoreServers: [ignored],
        ignorePorts: [byPortPort],
        ignorePaths: ['/health/live'],
        ignoreRequest: (req) => {
          if (req.url === '/boom') throw new Error('user bug');
          return req.url === '/skip';
        },
      },
    });
    try {
      await request(ignoredPort, '/');
      await request(byPortPort, '/');
      await request(measuredPort, '/health/live?probe=1');
      await request(measuredPort, '/skip');
      await request(measuredPort, '/boom');
      await request(measuredPort, '/counted');
      const metrics = await harness.collect();
      assert.equal(countOf(metrics, DURATION), 2, '/boom and /counted');
      assert.equal(sumOf(metrics, OPENED, { 'server.port': ignoredPort }), 0);
      assert.equal(sumOf(metrics, OPENED, { 'server.port': byPortPort }), 0);
      assert.equal(getStore().instrumentation.internalErrors, before + 1, 'the user error was caught and counted');
    } finally {
      await Promise.all([close(ignored), close(byPort), close(measured)]);
      await harness.close();
      harness = startHarness({ temporality: AggregationTemporality.DELTA });
    }
  });

  test('a route source that throws never reaches the service; the server keeps serving', async () => {
    const before = getStore().instrumentation.internalErrors;
    await withServer(
      (req, res) => {
        if (req.url === '/evil') {
          Object.defineProperty(req, 'route', {
            get() {
              throw new Error('hostile getter');
            },
          });
        }
        res.end('fine');
      },
      async (port) => {
        const evil = await request(port, '/evil');
        const next = await request(port, '/next');
        assert.equal(evil.body, 'fine');
        assert.equal(next.body, 'fine');
        const metrics = await harness.collect();
        assert.equal(getStore().instrumentation.internalErrors, before + 1);
        assert.equal(countOf(metrics, DURATION), 2, 'both requests are measured, the hostile one without a route');
        assert.equal(countOf(metrics, DURATION, { 'http.route': undefined }), 2);
        assert.equal(sumOf(metrics, ACTIVE), 0);
      },
    );
  });

  test('10,000 random paths without a route template create no new series', async () => {
    const before = getStore().http.duration.series.length;
    await withServer(
      (_req, res) => {
        res.statusCode = 404;
        res.end();
      },
      async (port) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
        const paths = Array.from({ length: 10_000 }, (_, i) => `/${Math.random().toString(36).slice(2)}/${i}`);
        for (let i = 0; i < paths.length; i += 200) {
          await Promise.all(paths.slice(i, i + 200).map((p) => request(port, p, { agent })));
        }
        agent.destroy();
        const metrics = await harness.collect();
        assert.equal(countOf(metrics, DURATION, { 'http.response.status_code': 404 }), 10_000);
        assert.ok(getStore().http.duration.series.length - before <= 1);
      },
    );
  });

  test('distinct route templates beyond the cap fold into one overflow series', async () => {
    const instrument = getStore().http.duration;
    await withServer(
      (req, res) => {
        setRoute(req, `/generated/${req.url}`);
        res.end();
      },
      async (port) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
        const total = instrument.maxSeries + 500;
        for (let i = 0; i < total; i += 250) {
          await Promise.all(Array.from({ length: 250 }, (_, j) => request(port, `/${i + j}`, { agent })));
        }
        agent.destroy();
        const metrics = await harness.collect();
        assert.ok(instrument.series.length <= instrument.maxSeries, `${instrument.series.length} series`);
        const overflow = points<Histogram>(metrics, DURATION).find((p) => p.attributes['otel.metric.overflow'] === true);
        assert.ok(overflow && overflow.value.count >= 500, 'overflow series holds the excess');
        assert.equal(countOf(metrics, DURATION), total);
      },
    );
  });
});

describe('readers created while requests are open', () => {
  test('a new cumulative reader reports the true active-request level, never a negative one', async () => {
    let arrived!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    let release!: () => void;
    const releaseP = new Promise<void>((r) => (release = r));
    await withServer(
      (_req, res) => {
        arrived();
        releaseP.then(() => res.end('late'));
      },
      async (port) => {
        const pending = request(port, '/slow');
        await arrivedP;
        const late = startHarness(); // cumulative reader, created mid-request
        try {
          let metrics = await late.collect();
          assert.equal(sumOf(metrics, ACTIVE), 1, 'the open request is visible to the new reader');
          release();
          await pending;
          metrics = await late.collect();
          assert.equal(sumOf(metrics, ACTIVE), 0, 'and closing it brings the level to 0, not -1');
        } finally {
          await late.close();
        }
      },
    );
  });
});
