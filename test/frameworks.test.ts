// http.route comes from the framework's route template, never from the raw URL: Express 5,
// Express 4 and Fastify 5 on real servers, measured through the diagnostics_channel
// instrumentation and read back through a reader's producer.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import express4 from 'express4';
import Fastify, { type FastifyInstance } from 'fastify';
import { AggregationTemporality, type Histogram } from '@opentelemetry/sdk-metrics';
import { startHarness, points, type Harness } from './helpers/metrics.js';
import { listen, close, request, trackSockets } from './helpers/http.js';
import { getStore } from '../src/instrumentation/store.js';
import { expressMountRoute, otelHealthFastify } from '../src/instrumentation/index.js';

const DURATION = 'http.server.request.duration';

let harness: Harness;
before(() => {
  harness = startHarness({ temporality: AggregationTemporality.DELTA });
});
after(async () => {
  await harness.close();
});

/** Routes of the finished requests since the last collect, one entry per request. */
async function collectRoutes(): Promise<{ route: unknown; status: unknown; count: number }[]> {
  const metrics = await harness.collect();
  return points<Histogram>(metrics, DURATION).map((p) => ({
    route: p.attributes['http.route'],
    status: p.attributes['http.response.status_code'],
    count: p.value.count,
  }));
}

/** The attribute sets of every recorded series, as JSON: the raw values must appear nowhere. */
async function allAttributesJson(): Promise<string> {
  const metrics = await harness.collect();
  return JSON.stringify(metrics.flatMap((m) => m.dataPoints.map((p) => p.attributes)));
}

async function withServer(server: http.Server, body: (port: number, sockets: ReturnType<typeof trackSockets>) => Promise<void>): Promise<void> {
  const sockets = trackSockets(server);
  const port = await listen(server);
  try {
    await body(port, sockets);
  } finally {
    await close(server);
  }
}

type ExpressFactory = typeof express;

function expressApp(factory: ExpressFactory): http.RequestListener {
  const app = factory();
  app.get('/users/:id', (req, res) => {
    res.send(`user ${req.params.id}`);
  });

  const api = factory.Router();
  api.get('/items/:itemId', (req, res) => {
    res.send(`item ${req.params.itemId}`);
  });
  app.use('/api', api);

  const orgs = factory.Router({ mergeParams: true });
  orgs.use(expressMountRoute('/orgs/:org'));
  orgs.get('/repos/:repo', (req, res) => {
    res.send(`repo ${(req.params as Record<string, string>).repo}`);
  });
  orgs.get('/', (_req, res) => {
    res.send('org');
  });
  app.use('/orgs/:org', orgs);

  // A nested router: fixed mount inside a fixed mount.
  const v1 = factory.Router();
  const things = factory.Router();
  things.get('/:thingId/parts/:partId', (_req, res) => {
    res.send('part');
  });
  v1.use('/things', things);
  app.use('/v1', v1);

  // The catch-all 404: middleware, not a route, so no template.
  app.use((_req, res) => {
    res.status(404).send('not found');
  });
  return app as unknown as http.RequestListener;
}

for (const [flavour, factory] of [
  ['Express 5', express],
  ['Express 4', express4 as ExpressFactory],
] as const) {
  describe(`${flavour}: http.route is the template`, () => {
    test('app route, router at a fixed path, router at a parameterised path with expressMountRoute, nested routers', async () => {
      await withServer(http.createServer(expressApp(factory)), async (port, sockets) => {
        assert.equal((await request(port, '/users/42')).body, 'user 42');
        assert.equal((await request(port, '/users/43?x=1')).body, 'user 43');
        assert.equal((await request(port, '/api/items/abc')).body, 'item abc');
        assert.equal((await request(port, '/orgs/acme/repos/widgets')).body, 'repo widgets');
        assert.equal((await request(port, '/orgs/globex/repos/gadgets')).body, 'repo gadgets');
        assert.equal((await request(port, '/orgs/initech')).body, 'org');
        assert.equal((await request(port, '/v1/things/7/parts/9')).body, 'part');
        await sockets.allClosed();
        const routes = await collectRoutes();
        const byRoute = new Map<unknown, number>();
        for (const r of routes) byRoute.set(r.route, (byRoute.get(r.route) ?? 0) + r.count);
        assert.deepEqual(
          Object.fromEntries(byRoute),
          {
            '/users/:id': 2,
            '/api/items/:itemId': 1,
            '/orgs/:org/repos/:repo': 2,
            '/orgs/:org': 1,
            '/v1/things/:thingId/parts/:partId': 1,
          },
          `routes recorded: ${JSON.stringify(routes)}`,
        );
        assert.ok(routes.every((r) => r.status === 200));
      });
    });

    test('the raw URL values never appear in any attribute', async () => {
      await withServer(http.createServer(expressApp(factory)), async (port, sockets) => {
        await request(port, '/users/secret-user-1234');
        await request(port, '/orgs/secret-org-5678/repos/secret-repo-9');
        await request(port, '/api/items/secret-item?token=hunter2');
        await sockets.allClosed();
        const json = await allAttributesJson();
        for (const raw of ['secret', '1234', '5678', 'hunter2', 'token']) {
          assert.ok(!json.includes(raw), `"${raw}" leaked into attributes: ${json}`);
        }
      });
    });

    test('a 404 (no route matched) has no http.route', async () => {
      await withServer(http.createServer(expressApp(factory)), async (port, sockets) => {
        assert.equal((await request(port, '/nope/123')).status, 404);
        assert.equal((await request(port, '/api/nope')).status, 404);
        assert.equal((await request(port, '/orgs/acme/nope')).status, 404);
        await sockets.allClosed();
        const routes = await collectRoutes();
        assert.deepEqual(routes, [{ route: undefined, status: 404, count: 3 }]);
      });
    });
  });
}

describe('Express 5: random paths', () => {
  test('1,000 random paths through an app with a catch-all 404 create no new series', async () => {
    await withServer(http.createServer(expressApp(express)), async (port, sockets) => {
      // One 404 first, so its (no-route) series exists before counting.
      await request(port, '/warm-up');
      await sockets.allClosed();
      await harness.collect();
      const instrument = getStore().http.duration;
      const before = instrument.series.length;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
      try {
        const paths = Array.from({ length: 1000 }, (_, i) => `/${Math.random().toString(36).slice(2)}/${i}?q=${i}`);
        for (let i = 0; i < paths.length; i += 100) {
          const responses = await Promise.all(paths.slice(i, i + 100).map((p) => request(port, p, { agent })));
          assert.ok(responses.every((r) => r.status === 404));
        }
      } finally {
        agent.destroy();
      }
      await sockets.allClosed(); // every response finished (and was recorded) before its socket closed
      const routes = await collectRoutes();
      assert.equal(instrument.series.length, before, 'no series was created');
      assert.deepEqual(routes, [{ route: undefined, status: 404, count: 1000 }]);
    });
  });

  test('a catch-all route is one template, however many paths it matches', async () => {
    const app = express();
    app.all('/{*splat}', (_req, res) => {
      res.status(404).send('nothing here');
    });
    await withServer(http.createServer(app as unknown as http.RequestListener), async (port, sockets) => {
      for (let i = 0; i < 50; i++) await request(port, `/random-${i}/${Math.random()}`);
      await sockets.allClosed();
      const routes = await collectRoutes();
      assert.deepEqual(routes, [{ route: '/{*splat}', status: 404, count: 50 }]);
    });
  });
});

describe('Fastify 5: http.route is the template', () => {
  let app: FastifyInstance;
  let port: number;
  let sockets: ReturnType<typeof trackSockets>;

  before(async () => {
    app = Fastify();
    await app.register(otelHealthFastify);
    app.get('/users/:id', async (request) => `user ${(request.params as { id: string }).id}`);
    // A route registered inside an encapsulated plugin, with a prefix: the hook still sees it.
    await app.register(
      async (scoped) => {
        scoped.get('/items/:itemId', async () => 'item');
      },
      { prefix: '/api' },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    sockets = trackSockets(app.server);
  });
  after(async () => {
    await app.close();
  });

  test('a parameterised route and a prefixed plugin route record their templates', async () => {
    assert.equal((await request(port, '/users/42')).body, 'user 42');
    assert.equal((await request(port, '/users/43')).body, 'user 43');
    assert.equal((await request(port, '/api/items/xyz')).body, 'item');
    await sockets.allClosed();
    const routes = await collectRoutes();
    const sorted = routes.sort((a, b) => String(a.route).localeCompare(String(b.route)));
    assert.deepEqual(sorted, [
      { route: '/api/items/:itemId', status: 200, count: 1 },
      { route: '/users/:id', status: 200, count: 2 },
    ]);
  });

  test('a 404 has no http.route', async () => {
    assert.equal((await request(port, '/missing/42')).status, 404);
    assert.equal((await request(port, '/users')).status, 404);
    await sockets.allClosed();
    const routes = await collectRoutes();
    assert.deepEqual(routes, [{ route: undefined, status: 404, count: 2 }]);
  });
});
