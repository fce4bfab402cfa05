/**
 * A service for the SIGKILL restart test (test/unit/restart.test.ts): otel-health with a store at
 * argv[2], checks every 0.2 s, its own node:http server on 127.0.0.1, and its own traffic: with
 * argv[3] = 'failing' every request answers 500, with 'healthy' 200. Each alert transition it
 * admits goes to the parent over IPC as `{ alert: '<rule> <kind>' }`, each check as `{ check: n }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHealthMonitoring, type Alert, type AlertTransition } from '../../src/index.js';

const [, , storePath, mode] = process.argv;
process.on('disconnect', () => process.exit(0));

const server = http.createServer((_req, res) => {
  res.statusCode = mode === 'failing' ? 500 : 200;
  res.end();
});
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const monitor = await startHealthMonitoring({
    serviceName: 'restart-test',
    checkInterval: 0.2,
    store: { path: storePath! },
    startupMessage: false,
    hostMetrics: false,
    responseTimeThreshold: false,
    resourceThresholds: { cpu: false, memory: false, connections: false, eventLoopDelay: false },
  });
  monitor.on('alert', (_alert: Alert, t: AlertTransition) => process.send?.({ alert: `${t.alert.rule} ${t.kind}` }));
  let checks = 0;
  monitor.on('check', () => process.send?.({ check: ++checks, rows: monitor.history().length }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const loop = (): void => {
    const req = http.get({ host: '127.0.0.1', port, agent }, (res) => {
      res.resume();
      res.on('end', () => setTimeout(loop, 5));
    });
    req.on('error', () => setTimeout(loop, 50));
  };
  for (let i = 0; i < 4; i++) loop();
  process.send?.({ ready: true, restoredRows: monitor.history().length, firing: monitor.firingAlerts().map((a) => a.rule) });
});
