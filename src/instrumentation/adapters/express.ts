import type { IncomingMessage } from 'node:http';
import { setMountTemplate } from '../http/routes.js';

/**
 * Express (4 and 5) needs no adapter for routes on the app or on routers mounted at fixed
 * paths: the template is read from Express's documented `req.route.path` and `req.baseUrl`
 * when the response finishes, and `req.baseUrl` is used only once the app's router tree shows
 * it is made of declared param-free mount paths (../http/express-mounts.ts). A router mounted on a
 * path with parameters (`app.use('/users/:id', router)`) has a `req.baseUrl` holding the actual
 * values (`/users/42`), so its requests get no `http.route` unless this middleware names the
 * mount template. Use it first inside that router:
 *
 *   router.use(expressMountRoute('/users/:id'));
 *
 * It also keeps the mount prefix when an error leaves the router for an app-level error
 * handler (Express has restored `req.baseUrl` by then).
 */
export function expressMountRoute(mountTemplate: string) {
  return function otelHealthMountRoute(req: IncomingMessage, _res: unknown, next: () => void): void {
    setMountTemplate(req, mountTemplate);
    next();
  };
}
