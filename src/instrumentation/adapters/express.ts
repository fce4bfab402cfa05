import type { IncomingMessage } from 'node:http';
import { setMountTemplate } from '../http/routes.js';

/**
 * Express (4 and 5) needs no adapter for routes on the app or on routers mounted at fixed
 * paths: the template is read from Express's documented `req.route.path` and `req.baseUrl`
 * when the response finishes. This middleware is for the one case that reading cannot serve:
 * a router mounted on a path with parameters (`app.use('/users/:id', router)`), whose
 * `req.baseUrl` holds the actual values (`/users/42`). Use it first inside that router, with
 * the mount template, so the template replaces baseUrl:
 *
 *   router.use(expressMountRoute('/users/:id'));
 */
export function expressMountRoute(mountTemplate: string) {
  return function otelHealthMountRoute(req: IncomingMessage, _res: unknown, next: () => void): void {
    setMountTemplate(req, mountTemplate);
    next();
  };
}
