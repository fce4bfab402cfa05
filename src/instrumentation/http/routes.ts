import type { IncomingMessage } from 'node:http';
import { expressBaseTemplate } from './express-mounts.js';

/**
 * Route templates for `http.route`. Only a template a framework matched ever becomes the
 * attribute, never the raw URL (cardinality and privacy). Two sources:
 * - `setRoute(req, template)`: adapters (Fastify) and user code name the template explicitly;
 * - Express (4 and 5), read from its documented request properties `req.route.path` and
 *   `req.baseUrl` when the response finishes. `req.baseUrl` is only used once it is known to be
 *   a template (express-mounts.ts); otherwise the route is left out.
 */
export const ROUTE = Symbol.for('otel-health.route');
/** The template of an Express mount path, replacing `req.baseUrl` (see expressMountRoute). */
export const MOUNT = Symbol.for('otel-health.route.mount');

interface RoutedRequest extends IncomingMessage {
  [ROUTE]?: string;
  [MOUNT]?: string;
  route?: { path?: unknown };
  baseUrl?: unknown;
  app?: unknown;
}

/** Name the route template of a request (e.g. `/users/:id`). Never throws. */
export function setRoute(request: IncomingMessage, template: string | undefined): void {
  if (typeof template === 'string' && request !== null && typeof request === 'object') {
    (request as RoutedRequest)[ROUTE] = template;
  }
}

/** Name the template of the path an Express router is mounted on. Never throws. */
export function setMountTemplate(request: IncomingMessage, template: string): void {
  if (typeof template === 'string' && request !== null && typeof request === 'object') {
    (request as RoutedRequest)[MOUNT] = template;
  }
}

// Mount template + route path joins (expressMountRoute) are cached so a routed request costs two
// map lookups, no string building. Both parts are templates of the application's own routes,
// so the cache is bounded by them; the cap is a guard against misuse.
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

/** A baseUrl known to be a template: its declared spelling and its joins with route paths. */
interface BaseTemplate {
  readonly template: string;
  readonly joined: Map<string, string>;
}

/**
 * What one Express app's baseUrls turned out to be, each worked out once. A parameterised
 * mount makes a new baseUrl per value, so the map is capped: past MAX_BASES an unseen baseUrl
 * is not worked out and counts as not a template.
 */
interface AppBases {
  readonly bases: Map<string, BaseTemplate | null>;
  /** Shared by the baseUrls with the same template (`/api`, `/API`). */
  readonly templates: Map<string, BaseTemplate>;
  joins: number;
}
const MAX_BASES = 1000;

// Keyed by `req.app`, so several apps in one process (or a sub-app's own view) never mix; the
// last app seen is kept at hand, which is every request in the usual one-app process.
const byApp = new WeakMap<object, AppBases>();
let lastApp: unknown;
let lastBases: AppBases | undefined;

function basesOf(app: unknown): AppBases | undefined {
  if (app === lastApp) return lastBases;
  if ((typeof app !== 'object' && typeof app !== 'function') || app === null) return undefined;
  let bases = byApp.get(app);
  if (bases === undefined) {
    bases = { bases: new Map(), templates: new Map(), joins: 0 };
    byApp.set(app, bases);
  }
  lastApp = app;
  lastBases = bases;
  return bases;
}

function learn(app: unknown, cache: AppBases, base: string): BaseTemplate | null {
  if (cache.bases.size >= MAX_BASES) return null;
  const template = expressBaseTemplate(app, base);
  let entry: BaseTemplate | null = null;
  if (template !== undefined) {
    entry = cache.templates.get(template) ?? { template, joined: new Map() };
    cache.templates.set(template, entry);
  }
  cache.bases.set(base, entry);
  return entry;
}

/** `req.baseUrl` + `req.route.path`, or undefined when the baseUrl is not known to be a template. */
function joinBase(r: RoutedRequest, base: string, path: string): string | undefined {
  const app = r.app;
  const cache = basesOf(app);
  if (cache === undefined) return undefined; // not an Express app: nothing to check the baseUrl against
  let entry = cache.bases.get(base);
  if (entry === undefined) entry = learn(app, cache, base);
  if (entry === null) return undefined;
  let template = entry.joined.get(path);
  if (template !== undefined) return template;
  if (cache.joins >= MAX_JOINED) return undefined;
  template = path === '/' ? entry.template : entry.template + path;
  entry.joined.set(path, template);
  cache.joins++;
  return template;
}

/** The route template of a finished request, or undefined when no framework matched one. */
export function resolveRoute(request: IncomingMessage): string | undefined {
  const r = request as RoutedRequest;
  const explicit = r[ROUTE];
  if (explicit !== undefined) return explicit;
  const route = r.route;
  if (route !== undefined && route !== null && typeof route.path === 'string') {
    const mount = r[MOUNT];
    if (mount !== undefined) return mount ? join(mount, route.path) : route.path;
    const base = r.baseUrl;
    if (base === undefined || base === '') return route.path; // a route on the app itself
    return typeof base === 'string' ? joinBase(r, base, route.path) : undefined;
  }
  return undefined;
}
