import http from 'node:http';
import https from 'node:https';
import type { Server } from 'node:net';

/**
 * What the hot path needs to know about a server, worked out once per server and kept on it
 * under a registry symbol (shared by the ESM and CommonJS builds).
 */
export interface ServerInfo {
  readonly ignored: boolean;
  /** index into SCHEMES */
  readonly scheme: number;
  readonly port: number;
}

export const SERVER_INFO = Symbol.for('otel-health.server');
const IGNORED: ServerInfo = Object.freeze({ ignored: true, scheme: 0, port: 0 });

type TaggedServer = Server & { [SERVER_INFO]?: ServerInfo };

/** Never measure this server (the package's own status server, or a user's exclusion). */
export function ignoreServer(server: Server): void {
  (server as TaggedServer)[SERVER_INFO] = IGNORED;
}

export function serverInfo(server: Server, ignoredPorts: ReadonlySet<number>): ServerInfo {
  const tagged = server as TaggedServer;
  const known = tagged[SERVER_INFO];
  if (known !== undefined) return known;
  let info: ServerInfo;
  // Only HTTP(S) servers: net.server.socket fires for every net server in the process.
  if (!(server instanceof http.Server) && !(server instanceof https.Server)) {
    info = IGNORED;
  } else {
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    info = ignoredPorts.has(port) ? IGNORED : { ignored: false, scheme: server instanceof https.Server ? 1 : 0, port };
  }
  tagged[SERVER_INFO] = info;
  return info;
}
