/**
 * Where the per-request cost goes: the same hello-world server with parts of the instrumentation
 * switched off (see server.mjs modes: bare, noop = empty channel subscribers, symbols, instr = the
 * HTTP instrumentation alone, abl-record / abl-route / abl-pending / abl-all = instr with those
 * parts replaced by no-ops, full = startHealthMonitoring with OTLP export, full-noexport, full-nohost).
 * Interleaved rounds, autocannon -c 50 in another process; prints median server CPU µs/request.
 *
 *   cd bench/ablation && node run.mjs bare noop instr abl-all full
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
const modes = process.argv.slice(2);
const sink = spawn(process.execPath, [new URL('./sink.mjs', import.meta.url).pathname], { stdio: 'ignore' });
const res = Object.fromEntries(modes.map(m => [m, []]));
async function one(mode) {
  const child = fork(new URL('./server.mjs', import.meta.url).pathname, [mode], { execArgv: ['--import', 'tsx'], env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4319', OTEL_METRIC_EXPORT_INTERVAL: '1000' } });
  const [{ port }] = await once(child, 'message');
  const ac = (d) => new Promise(r => { const p = spawn(new URL('../../node_modules/.bin/autocannon', import.meta.url).pathname, ['-c', '50', '-d', String(d), '-j', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'ignore'] }); let o=''; p.stdout.on('data', x => o += x); p.on('close', () => r(JSON.parse(o))); });
  await ac(2);
  child.send('start'); await once(child, 'message');
  const r = await ac(6);
  child.send('end'); const [{ cpu }] = await once(child, 'message');
  res[mode].push({ rps: r.requests.total / 6, us: cpu / r.requests.total });
}
const ROUNDS = Number(process.env.ROUNDS ?? 3);
for (let round = 0; round < ROUNDS; round++) for (const m of (round % 2 ? [...modes].reverse() : modes)) await one(m);
sink.kill();
const med = xs => [...xs].sort((a,b)=>a-b)[Math.floor(xs.length/2)];
for (const m of modes) console.log(m.padEnd(14), 'rps', med(res[m].map(x=>x.rps)).toFixed(0), 'cpu us/req', med(res[m].map(x=>x.us)).toFixed(2), res[m].map(x=>x.us.toFixed(2)).join(' '));
