/**
 * Is an Express `req.baseUrl` a template? `req.baseUrl` is the part of the actual URL that the
 * mount paths of the routers a request went through matched: `/api` for `app.use('/api', r)`,
 * but `/orgs/acme` for `app.use('/orgs/:org', r)`. It may go into `http.route` only when the
 * mounts that can produce it are param-free, so this walks the app's router tree the way
 * Express matched it, on the baseUrl alone, and collects every chain of mount layers that
 * produces exactly that string.
 *
 * Called once per distinct baseUrl (routes.ts caches the answer), never per request. It reads
 * Express internals, so every read is shape-checked and anything unexpected (an unknown layer
 * shape, a throwing matcher, too deep a tree) answers `undefined`: "not known to be a
 * template", and the caller leaves `http.route` out. It never answers with the raw value unless
 * that value is itself a concatenation of declared, param-free mount paths.
 *
 * Layer shapes it knows (read from the installed sources):
 * - Express 4 (`app._router`): `layer.regexp` from path-to-regexp 0.1 (a user RegExp is kept
 *   as is), `layer.keys` its parameters, `regexp.fast_slash` for `app.use(fn)`. The mount path
 *   string is not kept, so a param-free path is recognised by the exact source path-to-regexp
 *   0.1 writes for a literal path (`^\/api\/?(?=\/|$)`), which also gives its declared spelling.
 * - Express 5 (`app.router`, the `router` 2.x package): `layer.matchers` (path-to-regexp 8
 *   `match` functions, `regexpMatcher` for a RegExp), `layer.slash` for `app.use(fn)`, and from
 *   router 2.3 on `layer.rawPath`, the declared path. Router 2.0–2.2 keep no declared path: a
 *   match with no parameter values is param-free, and its spelling is the matched one (the
 *   declared path up to letter case).
 * - Mounted sub-apps (`app.use('/admin', adminApp)`) sit behind an opaque `mounted_app`
 *   function; the walk goes into the sub-apps on `req.app`'s `parent` chain there.
 */

/** A router tree deeper than this, or one that makes the walk try more mount layers, is not walked. */
const MAX_DEPTH = 16;
const MAX_VISITS = 10_000;
const MAX_APPS = 8;

/** path-to-regexp 0.1's lookahead after a non-ending path, as it appears in `RegExp.source`. */
const E4_LOOKAHEAD = '(?=\\/|$)';
/** The body of a literal path: escaped `/` and `.`, and characters path-to-regexp leaves alone. */
const E4_LITERAL_BODY = /^(?:\\[/.]|[A-Za-z0-9_~-])*$/;
/** path-to-regexp 8 syntax (parameters, wildcards, groups, escapes and reserved characters). */
const P2R8_SYNTAX = /[:*{}()[\]?+!\\]/;
const TRAILING_SLASHES = /\/+$/;

type Obj = Record<PropertyKey, unknown>;

function isObj(value: unknown): value is Obj {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** Something the walk cannot account for: the answer is "not a template". */
class Unknown extends Error {}

/** One way a mount layer matched the start of the rest of the baseUrl. */
interface Match {
  /** What the layer matched (its trailing `/`, if any, is not part of baseUrl). */
  path: string;
  /** The declared path, for a param-free mount; undefined when the mount has parameters. */
  template: string | undefined;
}

/**
 * The template of `baseUrl` in the app `app` (`req.app`), or undefined when it is not known to
 * be one. Never throws.
 */
export function expressBaseTemplate(app: unknown, baseUrl: string): string | undefined {
  try {
    const apps = appChain(app);
    const stack = routerStack(apps[0]);
    const walk = new Walk(baseUrl, apps);
    walk.stack(stack, baseUrl, '', 0, 0);
    return walk.answer();
  } catch {
    return undefined;
  }
}

/** The root app first, then each mounted sub-app down to `app`. */
function appChain(app: unknown): Obj[] {
  const chain: Obj[] = [];
  let current = app;
  while (current !== undefined) {
    if (!isObj(current) || chain.length >= MAX_APPS || chain.includes(current)) throw new Unknown();
    chain.unshift(current);
    current = current.parent;
  }
  if (chain.length === 0) throw new Unknown();
  return chain;
}

function routerStack(app: Obj | undefined): unknown[] {
  if (app === undefined) throw new Unknown();
  // Express 4 keeps the router in `_router` (its `app.router` getter throws); Express 5 in `router`.
  const router = app._router !== undefined ? app._router : app.router;
  const stack = isObj(router) ? router.stack : undefined;
  if (!Array.isArray(stack)) throw new Unknown();
  return stack;
}

class Walk {
  private visits = 0;
  private chains = 0;
  private paramChain = false;
  private first: string | undefined;
  private exact = false;

  constructor(
    private readonly baseUrl: string,
    private readonly apps: Obj[],
  ) {}

  /** Follow every mount layer of `stack` that matches the start of `rest`. */
  stack(stack: unknown[], rest: string, template: string | undefined, appIndex: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new Unknown();
    for (const layer of stack) {
      if (!isObj(layer)) throw new Unknown();
      // A route layer is where a chain ends (req.route), not a part of baseUrl.
      if (layer.route !== undefined && layer.route !== null) continue;
      if (++this.visits > MAX_VISITS) throw new Unknown();
      for (const match of layerMatches(layer, rest)) {
        // Express drops one trailing slash of what the layer matched from baseUrl.
        const piece = match.path.endsWith('/') ? match.path.slice(0, -1) : match.path;
        const next = rest.slice(piece.length);
        if (next !== '' && next[0] !== '/') continue; // not a segment boundary: Express would not mount here
        const joined = template !== undefined && match.template !== undefined ? template + match.template : undefined;
        if (next === '') {
          this.chain(joined);
          continue;
        }
        const handle = layer.handle;
        if (isObj(handle) && Array.isArray(handle.stack)) {
          this.stack(handle.stack, next, joined, appIndex, depth + 1);
        } else if (typeof handle === 'function' && handle.name === 'mounted_app' && appIndex + 1 < this.apps.length) {
          this.stack(routerStack(this.apps[appIndex + 1]), next, joined, appIndex + 1, depth + 1);
        }
        // Any other handle is middleware: routes are not set inside it, so no chain goes through.
      }
    }
  }

  private chain(template: string | undefined): void {
    this.chains++;
    if (template === undefined) {
      this.paramChain = true;
      return;
    }
    this.first ??= template;
    if (template === this.baseUrl) this.exact = true;
  }

  answer(): string | undefined {
    if (this.chains === 0) return undefined; // produced by something the walk cannot see
    // Only param-free mounts can produce it: the declared spelling (`/api` for `/API`).
    if (!this.paramChain) return this.first;
    // A parameterised mount can produce it too (`/:tenant` and `/api`): only when it is, byte
    // for byte, a declared param-free path may it stay (it carries nothing from the request
    // that is not already in the app's own code).
    return this.exact ? this.baseUrl : undefined;
  }
}

/** The ways one (non-route) layer matches the start of `rest`. */
function layerMatches(layer: Obj, rest: string): Match[] {
  const regexp = layer.regexp;
  if (regexp instanceof RegExp) return express4Matches(layer, regexp, rest);
  const matchers = layer.matchers;
  if (Array.isArray(matchers)) return routerMatches(layer, matchers, rest);
  throw new Unknown();
}

/** Express 4: one RegExp per layer (path-to-regexp 0.1, or the user's own). */
function express4Matches(layer: Obj, regexp: RegExp & { fast_slash?: unknown; fast_star?: unknown }, rest: string): Match[] {
  if (regexp.fast_slash === true) return [{ path: '', template: '' }];
  if (regexp.fast_star === true) return [{ path: rest, template: undefined }];
  // A user RegExp may be global or sticky; leave its lastIndex as Express would find it.
  const lastIndex = regexp.lastIndex;
  const m = regexp.exec(rest);
  regexp.lastIndex = lastIndex;
  if (m === null || m.index !== 0) return [];
  const keys = layer.keys;
  const template = Array.isArray(keys) && keys.length === 0 ? express4Literal(regexp) : undefined;
  return [{ path: m[0], template }];
}

/**
 * The declared path of a path-to-regexp 0.1 RegExp made from a param-free path string, or
 * undefined for anything else (parameters, wildcards, regex syntax, a user RegExp that is not
 * exactly that shape). `^\/api\/?(?=\/|$)` (or its strict forms) → `/api`.
 */
function express4Literal(regexp: RegExp): string | undefined {
  if (regexp.flags !== 'i' && regexp.flags !== '') return undefined;
  let body = regexp.source;
  if (!body.startsWith('^')) return undefined;
  body = body.slice(1);
  if (body.endsWith(E4_LOOKAHEAD)) body = body.slice(0, -E4_LOOKAHEAD.length);
  if (body.endsWith('\\/?')) body = body.slice(0, -1);
  if (!E4_LITERAL_BODY.test(body)) return undefined;
  return body.replace(/\\([/.])/g, '$1').replace(TRAILING_SLASHES, '');
}

/** Express 5 (router 2.x): one matcher per declared path of the layer. */
function routerMatches(layer: Obj, matchers: unknown[], rest: string): Match[] {
  if (layer.slash === true) return [{ path: '', template: '' }];
  const raw = layer.rawPath; // router ≥ 2.3
  const matches: Match[] = [];
  for (let i = 0; i < matchers.length; i++) {
    const matcher = matchers[i];
    if (typeof matcher !== 'function') throw new Unknown();
    const m: unknown = matcher(rest);
    if (m === false || m === undefined || m === null) continue;
    if (!isObj(m) || typeof m.path !== 'string') throw new Unknown();
    if (!rest.startsWith(m.path)) continue; // an unanchored RegExp: Express does not mount there either
    let template: string | undefined;
    if (raw !== undefined) {
      const declared: unknown = Array.isArray(raw) ? raw[i] : raw;
      template = typeof declared === 'string' && !P2R8_SYNTAX.test(declared) ? declared.replace(TRAILING_SLASHES, '') : undefined;
    } else {
      // router < 2.3: no declared path. A path-to-regexp 8 match with no parameter value
      // matched only the literal text of the pattern; a RegExp's match may be anything.
      template = matcher.name !== 'regexpMatcher' && isObj(m.params) && noValues(m.params) ? m.path.replace(TRAILING_SLASHES, '') : undefined;
    }
    matches.push({ path: m.path, template });
  }
  return matches;
}

function noValues(params: Obj): boolean {
  for (const key of Object.keys(params)) if (params[key] !== undefined) return false;
  return true;
}
