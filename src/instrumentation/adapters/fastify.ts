import type { IncomingMessage } from 'node:http';
import { setRoute } from '../http/routes.js';

// Structural types: the adapter must not make fastify a dependency of the package.
interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions?: { url?: string };
}
interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: unknown, done: () => void) => void): unknown;
}

function onRequest(request: FastifyRequestLike, _reply: unknown, done: () => void): void {
  try {
    // routeOptions.url is the template (`/users/:id`); it is undefined for the 404 handler.
    setRoute(request.raw, request.routeOptions?.url);
  } catch {
    // A route name is optional telemetry: never fail the request for it.
  }
  done();
}

/**
 * Fastify (5) plugin: names each request's route template for `http.route`.
 *
 *   app.register(otelHealthFastify);
 *
 * Registered without encapsulation (the `skip-override` marker, as fastify-plugin sets it) so
 * the hook sees every route of the application.
 */
export function otelHealthFastify(fastify: FastifyInstanceLike, _options: unknown, done: (error?: Error) => void): void {
  fastify.addHook('onRequest', onRequest);
  done();
}
(otelHealthFastify as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(otelHealthFastify as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'otel-health';
