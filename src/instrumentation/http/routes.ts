import type { IncomingMessage } from 'node:http';

/**
 * Route templates for `http.route`. Only a template a framework matched ever becomes the
 * attribute, never the raw URL (cardinality and privacy). Two sources:
 * - `setRoute(req, template)`: adapters (Fastify) and user code name the template explicitly;
 * - Express (4 and 5), read from its documented request properties `req.route.path` and
 *   `req.baseUrl` when the response finishes.
 */
export const ROUTE = Symbol.for('otel-health.route');
/** The template of an Express mount path, replacing `req.baseUrl` (see expressMountRoute). */
export const MOUNT = Symbol.for('otel-health.route.mount');

interface RoutedRequest extends IncomingMessage {
  [ROUTE]?: string;
  [MOUNT]?: string;
  route?: { path?: unknown };
  baseUrl?: string;
}

/** Name the route template of a request (e.g. `/users/:id`). Never throws. */
export function setRoute(request: IncomingMessage, template: string | undefined): void {
  if (typeof template === 'string' && request !== null && typeof request === 'object') {
    (request as RoutedRequest)[ROUTE] = template;
  }
}

// baseUrl + path joins are cached so a routed request costs two map lookups, no string building.
// Both parts are templates of the application's own routes, so the cache is bounded by them;
// a hard cap guards against a mount path that carries parameters (see README).
const MAX_JOINED = 1000;
const joined = new Map<string, Map<string, string>>();
let joinedCount = 0;

function join(base: string, path: string): string | undefined {
  let byPath = joined.get(base);
  let template = byPath?.get(path);
  if (template !== undefined) return template;
  if (joinedCount >= MAX_JOINED) return undefined;
  template = path === '/' ? base : base + path;
  if (byPath === undefined) {
    byPath = new Map();
    joined.set(base, byPath);
  }
  byPath.set(path, template);
  joinedCount++;
  return template;
}

/** Name the template of the path an Express router is mounted on. Never throws. */
export function setMountTemplate(request: IncomingMessage, template: string): void {
  if (typeof template === 'string' && request !== null && typeof request === 'object') {
    (request as RoutedRequest)[MOUNT] = template;
  }
}

/** The route template of a finished request, or undefined when no framework matched one. */
export function resolveRoute(request: IncomingMessage): string | undefined {
  const r = request as RoutedRequest;
  const explicit = r[ROUTE];
  if (explicit !== undefined) return explicit;
  const route = r.route;
  if (route !== undefined && route !== null && typeof route.path === 'string') {
    const base = r[MOUNT] ?? r.baseUrl;
    return base ? join(base, route.path) : route.path;
  }
  return undefined;
}
