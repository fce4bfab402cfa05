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
import { startHarness, points, type Harness } from '../../support/metrics.js';
import { listen, close, request, trackSockets } from '../../support/http.js';
import { getStore } from '../../src/instrumentation/store.js';
import { expressMountRoute, otelHealthFastify } from '../../src/instrumentation/index.js';

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

/** Requests per route since the last collect; `none` for requests recorded without one. */
async function routeCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const r of await collectRoutes()) {
    const key = r.route === undefined ? 'none' : String(r.route);
    counts[key] = (counts[key] ?? 0) + r.count;
  }
  return counts;
}

/**
 * Param-free mounts (single, nested, under a path-less router, in a mounted sub-app), a
 * parameterised mount with expressMountRoute and parameterised mounts without it, in one app.
 */
function mountsApp(factory: ExpressFactory): http.RequestListener {
  const app = factory();
  const send = (text: string) => (_req: unknown, res: { send(body: string): void }) => res.send(text);

  const api = factory.Router();
  api.get('/items/:itemId', send('item'));
  app.use('/api', api);

  const v1 = factory.Router();
  const things = factory.Router();
  things.get('/:thingId', send('thing'));
  v1.use('/things', things);
  app.use('/v1', v1);

  // A router mounted without a path, holding a router at a fixed path.
  const outer = factory.Router();
  const admin = factory.Router();
  admin.get('/settings', send('settings'));
  outer.use('/admin', admin);
  app.use(outer);

  // A sub-app at a fixed path, with a route of its own and a router inside.
  const sub = factory();
  sub.get('/home', send('sub home'));
  const deep = factory.Router();
  deep.get('/:id', send('deep'));
  sub.use('/deep', deep);
  app.use('/sub', sub);

  const orgs = factory.Router();
  orgs.use(expressMountRoute('/orgs/:org'));
  orgs.get('/repos/:repo', send('repo'));
  app.use('/orgs/:org', orgs);

  // No expressMountRoute: the baseUrl carries the team, and under it a fixed mount.
  const teams = factory.Router();
  teams.get('/members/:member', send('member'));
  teams.get('/', send('team'));
  const boards = factory.Router();
  boards.get('/:boardId', send('board'));
  teams.use('/boards', boards);
  app.use('/teams/:team', teams);

  app.use((_req, res) => {
    res.status(404).send('not found');
  });
  return app as unknown as http.RequestListener;
}

for (const [flavour, factory] of [
  ['Express 5', express],
  ['Express 4', express4 as ExpressFactory],
] as const) {
  describe(`${flavour}: req.baseUrl goes into http.route only when it is a template`, () => {
    test('param-free mounts keep their full template; a parameterised mount without expressMountRoute has no http.route', async () => {
      await withServer(http.createServer(mountsApp(factory)), async (port, sockets) => {
        const bodies = [];
        for (const path of [
          '/api/items/a1',
          '/API/Items/a2', // Express matches mount paths case-insensitively: the declared spelling is kept
          '/v1/things/t1',
          '/admin/settings',
          '/sub/home',
          '/sub/deep/d1',
          '/orgs/acme/repos/r1',
          '/teams/rocket-7/members/m1',
          '/teams/apollo-11',
          '/teams/gemini-3/boards/b1',
        ]) {
          const response = await request(port, path);
          assert.equal(response.status, 200, path);
          bodies.push(response.body);
        }
        await sockets.allClosed();
        assert.deepEqual(bodies, ['item', 'item', 'thing', 'settings', 'sub home', 'deep', 'repo', 'member', 'team', 'board']);
        assert.deepEqual(await routeCounts(), {
          '/api/items/:itemId': 2,
          '/v1/things/:thingId': 1,
          '/admin/settings': 1,
          '/sub/home': 1,
          '/sub/deep/:id': 1,
          '/orgs/:org/repos/:repo': 1,
          none: 3,
        });
      });
    });

    test('the values of a parameterised mount appear in no attribute', async () => {
      await withServer(http.createServer(mountsApp(factory)), async (port, sockets) => {
        assert.equal((await request(port, '/teams/secret-team-4321/members/secret-member-8765')).status, 200);
        assert.equal((await request(port, '/teams/secret-team-4321')).status, 200);
        assert.equal((await request(port, '/teams/secret-team-4321/boards/secret-board-1')).status, 200);
        await sockets.allClosed();
        const json = await allAttributesJson();
        assert.ok(json.includes('"http.response.status_code":200'), `the requests were recorded: ${json}`);
        // Keys and string values only: a numeric attribute (server.port, an ephemeral port such
        // as 38765) may contain the digits by chance, and no request value becomes a number.
        const strings = (JSON.parse(json) as Record<string, unknown>[])
          .flatMap((attributes) => Object.entries(attributes).flatMap(([key, value]) => (typeof value === 'string' ? [key, value] : [key])))
          .join('\n');
        for (const raw of ['secret', '4321', '8765', 'teams', 'boards']) {
          assert.ok(!strings.includes(raw), `"${raw}" leaked into attributes: ${json}`);
        }
      });
    });

    test('a parameterised mount that overlaps a fixed one: the fixed path stays only when it is spelled as declared', async () => {
      const app = factory();
      const api = factory.Router();
      api.get('/items/:itemId', (_req, res) => void res.send('item'));
      app.use('/api', api);
      const tenants = factory.Router();
      tenants.get('/dash', (_req, res) => void res.send('dash'));
      app.use('/:tenant', tenants);
      await withServer(http.createServer(app as unknown as http.RequestListener), async (port, sockets) => {
        assert.equal((await request(port, '/api/items/1')).body, 'item');
        assert.equal((await request(port, '/acme/dash')).body, 'dash');
        // /api/dash is no route of the api router, so it reaches the tenant router with
        // tenant "api": its baseUrl is still the declared "/api", nothing from the request.
        assert.equal((await request(port, '/api/dash')).body, 'dash');
        // "/API" might be a tenant's value: not a template here.
        assert.equal((await request(port, '/API/items/2')).body, 'item');
        await sockets.allClosed();
        assert.deepEqual(await routeCounts(), { '/api/items/:itemId': 1, '/api/dash': 1, none: 2 });
      });
    });

    test('an error leaving a mounted router for an app error handler: expressMountRoute keeps the mount template', async () => {
      const app = factory();
      const fail = () => {
        throw new Error('handler failed');
      };
      const plain = factory.Router();
      plain.get('/broken', fail);
      app.use('/plain', plain);
      const named = factory.Router();
      named.use(expressMountRoute('/named'));
      named.get('/broken', fail);
      app.use('/named', named);
      const orgs = factory.Router();
      orgs.get('/broken', fail);
      app.use('/orgs/:org', orgs);
      const namedOrgs = factory.Router();
      namedOrgs.use(expressMountRoute('/named-orgs/:org'));
      namedOrgs.get('/broken', fail);
      app.use('/named-orgs/:org', namedOrgs);
      app.use((_error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => {
        res.status(500).send('failed');
      });
      await withServer(http.createServer(app as unknown as http.RequestListener), async (port, sockets) => {
        for (const path of ['/plain/broken', '/named/broken', '/orgs/secret-org-2468/broken', '/named-orgs/secret-org-1357/broken']) {
          assert.equal((await request(port, path)).status, 500, path);
        }
        await sockets.allClosed();
        // Express has restored req.baseUrl to '' by the time the app's error handler answers.
        assert.deepEqual(await routeCounts(), { '/broken': 2, '/named/broken': 1, '/named-orgs/:org/broken': 1 });
      });
    });

    test('past 1,000 distinct baseUrls, an unseen one is not worked out; seen ones keep their template', async () => {
      await withServer(http.createServer(mountsApp(factory)), async (port, sockets) => {
        assert.equal((await request(port, '/api/items/first')).status, 200);
        const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
        try {
          for (let i = 0; i < 1000; i += 100) {
            const responses = await Promise.all(Array.from({ length: 100 }, (_, j) => request(port, `/teams/t${i + j}`, { agent })));
            assert.ok(responses.every((r) => r.status === 200));
          }
        } finally {
          agent.destroy();
        }
        assert.equal((await request(port, '/api/items/again')).status, 200);
        assert.equal((await request(port, '/v1/things/never-seen-before')).status, 200);
        await sockets.allClosed();
        assert.deepEqual(await routeCounts(), { '/api/items/:itemId': 2, none: 1001 });
      });
    });
  });
}

describe('a baseUrl that cannot be checked against an Express app', () => {
  test('no app, an app that throws, an unknown router shape: no http.route, and the request is unharmed', async () => {
    const unreadable = Object.defineProperty(function app() {}, '_router', {
      get() {
        throw new Error('hostile getter');
      },
    });
    const apps: Record<string, unknown> = {
      '/none': undefined,
      '/throws': unreadable,
      '/unknown-layer': { _router: { stack: [{ handle: () => {}, path: '/unknown-layer' }] } },
      '/not-a-stack': { router: { stack: 'nope' } },
    };
    const server = http.createServer((req, res) => {
      // What a router would leave on the request: a route and the baseUrl it was mounted at.
      Object.assign(req, { app: apps[req.url ?? ''], baseUrl: `${req.url}/value-9876`, route: { path: '/x' } });
      res.end('ok');
    });
    await withServer(server, async (port, sockets) => {
      for (const path of Object.keys(apps)) assert.equal((await request(port, path)).body, 'ok');
      await sockets.allClosed();
      assert.deepEqual(await routeCounts(), { none: 4 });
    });
  });
});

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
