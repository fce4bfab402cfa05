/**
 * Issue 17, point 3: pages per incident and time to the page when replicas of a service hand
 * their alerts to Alertmanager, next to the direct webhook sink, on the workload of the
 * alert-latency benchmark (bench/alert-latency/: 100 req/s per service, bursts in which every
 * second request is a 5xx).
 *
 *   node --import tsx bench/alertmanager/run.ts [--quick] [--bursts K] [--out bench/alertmanager/RESULTS.md] [--seed N]
 *
 * Layout: three services with 1, 3 and 10 replica processes (support/alertmanager-replica.ts:
 * node:http on 127.0.0.1, otel-health at its defaults, checks every 15 s, except the flap window
 * `cooldown` of 60 s so that bursts 2 minutes apart are separate incidents). The harness spreads
 * each service's 100 req/s over its replicas (round robin, as a load balancer would) and runs the
 * same bursts on all three services at once. Every replica has two sinks on its default route: a
 * `webhook` straight to the harness (the direct way: each replica pages) and an `alertmanager`
 * sink to one Alertmanager (Debian's prometheus-alertmanager) running
 * collector-config/alertmanager.yml as committed (group_by [service, rule], group_wait 20s,
 * group_interval 30s), its receivers pointed at the harness. Replicas start monitoring at random
 * offsets within one check interval, so their check clocks have different phases. So both ways see the same
 * incidents, and the harness records when each notification arrives.
 *
 * Measured per incident and service: notifications that reached the harness directly (all
 * replicas) and from Alertmanager; time from burst start to the first firing notification of
 * each; time from burst end to Alertmanager's resolved notification. The Prometheus +
 * Alertmanager anchor is bench/alert-latency/RESULTS.md (same workload), not re-run here.
 * `--quick`: 1 and 3 replicas, 1 s checks, Alertmanager timings cut to seconds, 2 short bursts.
 *
 * Everything runs on 127.0.0.1 with free ports and temporary directories; every process started
 * here is killed at the end (also on errors and signals).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startAlertmanager, type RunningAlertmanager } from '../../support/alertmanager.js';
import { Child, installCleanup, killAllChildren } from '../../support/children.js';
import { describeMachine, machineLines } from '../machine.js';
import { summary } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const REPLICA = path.join(REPO_ROOT, 'support', 'alertmanager-replica.ts');
const RECOMMENDED = path.join(REPO_ROOT, 'collector-config', 'alertmanager.yml');

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, seed: { type: 'string' }, bursts: { type: 'string' } },
});
const QUICK = args.quick === true;

let seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const SEED = seed;
/** mulberry32: seeded, so a run's burst offsets can be repeated. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const REPLICA_COUNTS = QUICK ? [1, 3] : [1, 3, 10];
const CHECK_INTERVAL = QUICK ? 1 : 15;
/** Seconds: the replicas' flap window (see REPLICA_OPTIONS below). */
const COOLDOWN = QUICK ? 15 : 60;
/** Requests per second per service, spread over its replicas (the alert-latency workload). */
const RATE = 100;
const P = QUICK
  ? { warmupS: 10, bursts: 2, burstS: 20, gapS: 30, phaseS: 2 }
  : { warmupS: 40, bursts: Number(args.bursts ?? 4), burstS: 45, gapS: 80, phaseS: 15 };
/** Quick runs only: Alertmanager's timings cut to match 1 s checks. */
const QUICK_TIMINGS: Record<string, string> = { group_wait: '1s', group_interval: '5s' };

interface Service {
  name: string;
  replicas: { child: Child; port: number }[];
  sent: number;
  sentFail: number;
  answered5xx: number;
  failures: number;
}
interface Burst {
  start: number;
  end: number;
}
interface Arrival {
  /** performance.now() at arrival, ms. */
  t: number;
  path: string;
  body: any;
}

// ---------- the receiver ----------
const arrivals: Arrival[] = [];
const receiver = http.createServer((req, res) => {
  const t = performance.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = {};
    }
    arrivals.push({ t, path: req.url ?? '', body });
    res.writeHead(200).end('ok');
  });
});

// ---------- load ----------
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const MAX_IN_FLIGHT = 200;

function startLoad(services: Service[], bursts: Burst[]): { stop(): void } {
  const t0 = performance.now();
  const inBurst = (now: number): boolean => bursts.some((b) => now >= b.start && now < b.end);
  const targets = services.map((service) => ({ service, sent: 0, inFlight: 0, next: 0, seq: service.replicas.map(() => 0) }));
  const tick = (): void => {
    const now = performance.now();
    const due = Math.floor(((now - t0) / 1000) * RATE);
    const burst = inBurst(now);
    for (const target of targets) {
      let n = Math.min(due - target.sent, 20);
      while (n-- > 0 && target.inFlight < MAX_IN_FLIGHT) {
        target.sent++;
        const index = target.next++ % target.service.replicas.length;
        const replica = target.service.replicas[index]!;
        // Every second request *of each replica* fails: alternating over the service's stream
        // would, with an even number of replicas, send every failure to half of them.
        const fail = burst && target.seq[index]!++ % 2 === 0;
        if (!burst) target.seq[index] = 0;
        target.service.sent++;
        if (fail) target.service.sentFail++;
        target.inFlight++;
        const req = http.request({ host: '127.0.0.1', port: replica.port, path: fail ? '/fail' : '/ok', agent, timeout: 10_000 }, (res) => {
          if ((res.statusCode ?? 0) >= 500) target.service.answered5xx++;
          res.resume();
          res.on('end', () => target.inFlight--);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          target.inFlight--;
          target.service.failures++;
        });
        req.end();
      }
      if (due - target.sent > 20) target.sent = due - 20; // open loop, bounded: skip what a stall left behind
    }
  };
  const timer = setInterval(tick, 10);
  return { stop: () => clearInterval(timer) };
}

// ---------- notifications ----------
interface Note {
  service: string;
  way: 'direct' | 'alertmanager';
  t: number;
  /** About the error-rate alert. */
  relevant: boolean;
  /** It says the error-rate alert fires. */
  firing: boolean;
  /** After it, the receiver knows of the error-rate alert firing on this service (this way; any receiver of Alertmanager's). */
  anyFiring: boolean;
  said: string;
}

function notes(): Note[] {
  const out: Note[] = [];
  const directFiring = new Map<string, Map<string, boolean>>();
  /** Alertmanager: per service, the last word of each receiver's group. */
  const amFiring = new Map<string, Map<string, boolean>>();
  for (const a of [...arrivals].sort((x, y) => x.t - y.t)) {
    const parts = a.path.split('/').filter(Boolean);
    if (parts[0] === 'oh' && parts.length === 2) {
      const service = parts[1]!;
      const alerts = (a.body.alerts ?? []) as { rule: string; state: string; transition: string; level: string; repeat?: boolean; fingerprint: string }[];
      const er = alerts.filter((x) => x.rule === 'error_rate');
      // Per replica and alert: the receiver's picture of the direct way. Replicas share the
      // fingerprint (service + rule), so count by the body's `at` order: firing if any said so last.
      const map = directFiring.get(service) ?? new Map<string, boolean>();
      directFiring.set(service, map);
      for (const x of er) map.set(`${x.fingerprint}`, x.state === 'firing');
      out.push({
        service,
        way: 'direct',
        t: a.t,
        relevant: er.length > 0,
        firing: er.some((x) => x.state === 'firing'),
        anyFiring: [...map.values()].some(Boolean),
        said: alerts.map((x) => `${x.rule === 'error_rate' ? '' : `${x.rule} `}${x.repeat === true ? 'repeat' : x.transition} ${x.level}`).join(', '),
      });
    } else if (parts[0] === 'am') {
      const group = (a.body.groupLabels ?? {}) as Record<string, string>;
      const service = group.service ?? '?';
      const alerts = (a.body.alerts ?? []) as { status: string; labels: Record<string, string> }[];
      const relevant = group.rule === 'error_rate';
      const firing = alerts.filter((x) => x.status === 'firing').map((x) => x.labels.severity);
      const resolved = alerts.filter((x) => x.status === 'resolved').map((x) => x.labels.severity);
      const groups = amFiring.get(service) ?? new Map<string, boolean>();
      amFiring.set(service, groups);
      if (relevant) groups.set(parts[1] ?? '', firing.length > 0);
      out.push({
        service,
        way: 'alertmanager',
        t: a.t,
        relevant,
        firing: firing.length > 0,
        anyFiring: [...groups.values()].some(Boolean),
        said: `${relevant ? '' : `${group.rule ?? '?'} `}${parts[1] ?? ''} ${a.body.status}: ${[firing.length ? `firing ${firing.join('+')}` : '', resolved.length ? `resolved ${resolved.join('+')}` : ''].filter(Boolean).join('; ')}`,
      });
    }
  }
  return out;
}

// ---------- main ----------
async function main(): Promise<void> {
  installCleanup();
  const machine = describeMachine(REPO_ROOT);
  const runStart = performance.now();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  // Alertmanager with the recommended configuration, its receivers pointed at the harness.
  let amYaml = readFileSync(RECOMMENDED, 'utf8')
    .replace('http://alert-receiver.example:8080/alerts', `${receiverUrl}/am/team`)
    .replace('http://pager.example:8080/alerts', `${receiverUrl}/am/pager`);
  if (QUICK) for (const [key, value] of Object.entries(QUICK_TIMINGS)) amYaml = amYaml.replace(new RegExp(`^(\\s+${key}:) .*$`, 'm'), `$1 ${value}`);
  const timings = Object.fromEntries(['group_wait', 'group_interval', 'repeat_interval'].map((k) => [k, new RegExp(`^\\s+${k}: (\\S+)`, 'm').exec(amYaml)?.[1] ?? '?']));
  const am: RunningAlertmanager = await startAlertmanager(amYaml);
  process.on('exit', () => void am.stopProcess());
  console.log(`alertmanager-bench: ${QUICK ? 'quick' : 'full'} run, seed ${SEED}; ${am.version}; ${JSON.stringify(timings)}`);

  const services: Service[] = [];
  for (const count of REPLICA_COUNTS) {
    const name = `svc-r${count}`;
    const service: Service = { name, replicas: [], sent: 0, sentFail: 0, answered5xx: 0, failures: 0 };
    for (let i = 0; i < count; i++) {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        REPLICA_SERVICE: name,
        REPLICA_CHECK_INTERVAL: String(CHECK_INTERVAL),
        REPLICA_AM_URLS: am.url,
        REPLICA_WEBHOOK: `${receiverUrl}/oh/${name}`,
        // Check clocks at random phases, as replicas started at different times have.
        REPLICA_START_DELAY: String(Math.round(random() * CHECK_INTERVAL * 1000)),
        // The flap window (cooldown, 300 s by default) shorter than the time between bursts, so
        // each burst is its own incident for the in-process pipeline, on both ways alike.
        REPLICA_OPTIONS: JSON.stringify({ alerts: { cooldown: COOLDOWN } }),
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      };
      delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
      service.replicas.push({ child: new Child(`${name}-${i}`, REPLICA, [], { cwd: REPO_ROOT, env }), port: 0 });
    }
    services.push(service);
  }
  for (const service of services) {
    for (const replica of service.replicas) {
      replica.port = await replica.child.waitFor(
        (m) => {
          const msg = m as { type?: string; port?: number; error?: string };
          if (msg.type === 'error') throw new Error(msg.error);
          return msg.type === 'ready' ? msg.port : undefined;
        },
        120_000,
        `${replica.child.name} ready`,
      );
    }
  }
  console.log(`${services.reduce((n, s) => n + s.replicas.length, 0)} replicas ready`);

  // Bursts: the same on every service, each at a random offset (0–phaseS) in its slot.
  const loadStart = performance.now();
  const bursts: Burst[] = [];
  for (let k = 0; k < P.bursts; k++) {
    const start = loadStart + (P.warmupS + k * (P.burstS + P.gapS + P.phaseS) + random() * P.phaseS) * 1000;
    bursts.push({ start, end: start + P.burstS * 1000 });
  }
  const load = startLoad(services, bursts);
  const lastEnd = bursts.at(-1)!.end;
  const tailMs = P.gapS * 1000;
  let lastLog = 0;
  for (;;) {
    await sleep(500);
    const now = performance.now();
    if (now - lastLog > 30_000) {
      lastLog = now;
      const ns = notes().filter((n) => n.relevant);
      console.log(`+${((now - loadStart) / 1000).toFixed(0)} s: ${ns.filter((n) => n.way === 'direct').length} direct, ${ns.filter((n) => n.way === 'alertmanager').length} Alertmanager notifications`);
    }
    if (now > lastEnd + tailMs) break;
  }
  load.stop();
  machine.loadAvgEnd = os.loadavg();
  // Each replica's sink counters, and Alertmanager's own log, for the report.
  const sinkStats: Record<string, unknown>[] = [];
  for (const service of services) {
    for (const r of service.replicas) {
      const answer = r.child.waitFor((m) => ((m as { type?: string }).type === 'stats' ? (m as { sinks: Record<string, unknown> }).sinks : undefined), 10_000, `${r.child.name} stats`);
      r.child.send({ type: 'stats' });
      sinkStats.push({ replica: r.child.name, ...(await answer.catch((e: unknown) => ({ error: String(e) }))) });
    }
  }
  const amLog = am.log().trim();
  for (const service of services) for (const r of service.replicas) r.child.send({ type: 'stop' });
  await Promise.all(services.flatMap((s) => s.replicas.map((r) => r.child.stop(10_000))));
  await am.stop();
  killAllChildren();
  receiver.closeAllConnections();
  receiver.close();
  agent.destroy();

  const report = buildReport({ services, bursts, machine, amVersion: am.version, timings, wallS: (performance.now() - runStart) / 1000, loadStart, sinkStats, amLog });
  console.log(report);
  if (args.out) {
    writeFileSync(path.resolve(args.out), report);
    writeFileSync(
      path.resolve(args.out.replace(/\.md$/, '') + '.json'),
      JSON.stringify({ seed: SEED, quick: QUICK, bursts: bursts.map((b) => ({ start: (b.start - loadStart) / 1000, end: (b.end - loadStart) / 1000 })), notifications: notes().map((n) => ({ ...n, t: (n.t - loadStart) / 1000 })) }, null, 1) + '\n',
    );
  }
  process.exit(0);
}

// ---------- report ----------
function buildReport(r: {
  services: Service[];
  bursts: Burst[];
  machine: ReturnType<typeof describeMachine>;
  amVersion: string;
  timings: Record<string, string>;
  wallS: number;
  loadStart: number;
  sinkStats: Record<string, unknown>[];
  amLog: string;
}): string {
  const all = notes();
  const rel = all.filter((n) => n.relevant);
  const s1 = (ms: number): string => (ms / 1000).toFixed(1);
  const cmd = `node --import tsx bench/alertmanager/run.ts${QUICK ? ' --quick' : ''}${args.bursts ? ` --bursts ${args.bursts}` : ''}${args.out ? ` --out ${args.out}` : ''} --seed ${SEED}`;
  const L: string[] = [];
  L.push(`# Replicas and Alertmanager: pages per incident, time to the page${QUICK ? ' (quick run)' : ''}`, '');
  L.push(`Command: \`${cmd}\` (the seed fixes the bursts' offsets; their phase against each replica's check clock still varies). Wall time ${(r.wallS / 60).toFixed(1)} min.`, '');
  L.push('Machine:', '', ...machineLines(r.machine).map((l) => `- ${l}`), `- ${r.amVersion}`, '');
  L.push('## Setup', '');
  L.push(
    `Services \`${r.services.map((s) => s.name).join('`, `')}\` with ${REPLICA_COUNTS.join(', ')} replica processes (node:http on 127.0.0.1, \`/fail\` answers 500), otel-health at its defaults (checks every ${CHECK_INTERVAL} s; error-rate levels 5/10/25 %, groupWait 0; hostMetrics off) except the flap window \`cooldown\` ${COOLDOWN} s (default 300 s), shorter than the time between bursts so that each burst is its own incident on both ways. ` +
      `Each service gets ${RATE} req/s from the harness, open loop, round robin over its replicas; in a burst every second request is a 5xx (50 %). ` +
      `Every replica routes its alerts to two sinks: a \`webhook\` to the harness (**direct**: each replica pages on its own) and an \`alertmanager\` sink (resendDelay 60 s) to one Alertmanager running \`collector-config/alertmanager.yml\` (${QUICK ? `timings cut for the quick run: ` : ''}group_by [service, rule], group_wait ${r.timings.group_wait}, group_interval ${r.timings.group_interval}, repeat_interval ${r.timings.repeat_interval}; inhibition as committed), whose receivers post to the harness (**Alertmanager**). ` +
      `${r.bursts.length} bursts of ${P.burstS} s, the same on every service, ${P.burstS + P.gapS + P.phaseS} s apart plus a random 0–${P.phaseS} s offset.`,
    '',
  );
  L.push('Only the error-rate alert counts (rule `error_rate`, Alertmanager group `{service, rule="error_rate"}`). An incident is one burst: its notifications are those arriving from its start until the next burst starts (the last: until the run ends). Times on the harness clock, when the POST arrived.', '');
  L.push('Load per service: requests sent, to /fail, 5xx answered, transport errors:', '');
  L.push('| service | replicas | sent | /fail | 5xx | errors |', '|---|---:|---:|---:|---:|---:|');
  for (const s of r.services) L.push(`| ${s.name} | ${s.replicas.length} | ${s.sent} | ${s.sentFail} | ${s.answered5xx} | ${s.failures} |`);
  L.push('');

  const window = (k: number): [number, number] => [r.bursts[k]!.start, r.bursts[k + 1]?.start ?? Infinity];
  interface Row {
    service: Service;
    k: number;
    direct: Note[];
    viaAm: Note[];
  }
  const rows: Row[] = [];
  for (const service of r.services) {
    for (let k = 0; k < r.bursts.length; k++) {
      const [from, to] = window(k);
      const inWindow = rel.filter((n) => n.service === service.name && n.t >= from && n.t < to);
      rows.push({ service, k, direct: inWindow.filter((n) => n.way === 'direct'), viaAm: inWindow.filter((n) => n.way === 'alertmanager') });
    }
  }
  const firstFiring = (ns: Note[]): Note | undefined => ns.find((n) => n.firing);
  const resolvedAfter = (ns: Note[], first: Note | undefined): Note | undefined => (first === undefined ? undefined : ns.find((n) => n.t > first.t && !n.anyFiring));

  L.push('## Notifications per incident', '');
  L.push('Median (min–max) over the incidents; n = incidents. Direct: every POST of any replica about the alert (firing, escalated, de-escalated, resolved). Alertmanager: every notification of the group.', '');
  L.push('| replicas | n | direct: notifications | direct: firing-state | Alertmanager: notifications | Alertmanager: firing-state |', '|---:|---:|---|---|---|---|');
  for (const service of r.services) {
    const mine = rows.filter((x) => x.service === service);
    const count = (pick: (x: Row) => number): string => summary(mine.map(pick), 0);
    L.push(
      `| ${service.replicas.length} | ${mine.length} | ${count((x) => x.direct.length)} | ${count((x) => x.direct.filter((n) => n.firing).length)} | ${count((x) => x.viaAm.length)} | ${count((x) => x.viaAm.filter((n) => n.firing).length)} |`,
    );
  }
  L.push('');

  L.push('## Time to the page', '');
  L.push('Seconds: median, p95 (nearest rank), n over the incidents. First: burst start → the first notification saying the alert fires (direct: the first replica to post). Resolve: burst end → the Alertmanager notification after which no receiver\'s group of the alert is firing (direct: the last replica\'s resolve).', '');
  L.push('| replicas | direct: first | Alertmanager: first | Alertmanager: resolve | direct: last resolve |', '|---:|---|---|---|---|');
  const pooled = { direct: [] as number[], am: [] as number[], amResolve: [] as number[] };
  for (const service of r.services) {
    const mine = rows.filter((x) => x.service === service);
    const d: number[] = [];
    const a: number[] = [];
    const ar: number[] = [];
    const dr: number[] = [];
    for (const x of mine) {
      const burst = r.bursts[x.k]!;
      const df = firstFiring(x.direct);
      const af = firstFiring(x.viaAm);
      if (df) d.push((df.t - burst.start) / 1000);
      if (af) a.push((af.t - burst.start) / 1000);
      const res = resolvedAfter(x.viaAm, af);
      if (res) ar.push((res.t - burst.end) / 1000);
      const lastDirect = x.direct.filter((n) => !n.firing).at(-1);
      if (lastDirect) dr.push((lastDirect.t - burst.end) / 1000);
    }
    pooled.direct.push(...d);
    pooled.am.push(...a);
    pooled.amResolve.push(...ar);
    L.push(`| ${service.replicas.length} | ${summary(d, 1)} | ${summary(a, 1)} | ${summary(ar, 1)} | ${summary(dr, 1)} |`);
  }
  L.push(`| all | ${summary(pooled.direct, 1)} | ${summary(pooled.am, 1)} | ${summary(pooled.amResolve, 1)} | |`, '');

  L.push('Per incident (s after burst start; the burst ends at +' + P.burstS + ' s):', '');
  L.push('| replicas | burst | direct (count: first firing … last) | Alertmanager notifications |', '|---:|---:|---|---|');
  for (const x of rows) {
    const burst = r.bursts[x.k]!;
    const rel0 = (t: number): string => `+${s1(t - burst.start)}`;
    const d = x.direct;
    const directCell = d.length === 0 ? '—' : `${d.length}: ${rel0(d[0]!.t)} ${d[0]!.said} … ${rel0(d.at(-1)!.t)} ${d.at(-1)!.said}`;
    L.push(`| ${x.service.replicas.length} | ${x.k + 1} | ${directCell} | ${x.viaAm.map((n) => `${rel0(n.t)} ${n.said}`).join('<br>') || '—'} |`);
  }
  L.push('');
  L.push('## Sink counters at the end', '');
  L.push('Per replica (`monitor.alerting.stats().sinks`): the direct webhook\'s sent / failed / dropped, and the alertmanager sink\'s alerts sent / failed / dropped / retries, re-sends, last error.', '');
  L.push('| replica | direct sent/failed/dropped | alertmanager sent/failed/dropped/retries | re-sends | last error |', '|---|---|---|---:|---|');
  for (const row of r.sinkStats as Array<{ replica: string; direct?: Record<string, number>; am?: Record<string, number | string>; error?: string }>) {
    const d = row.direct;
    const a = row.am;
    L.push(
      `| ${row.replica} | ${d ? `${d.sent}/${d.failed}/${d.dropped}` : row.error ?? '—'} | ${a ? `${a.sent}/${a.failed}/${a.dropped}/${a.retries}` : '—'} | ${a?.resends ?? '—'} | ${a?.lastError ?? d?.lastError ?? ''} |`,
    );
  }
  L.push('', `Alertmanager's log (level warn): ${r.amLog === '' ? 'empty' : `\n\n\`\`\`\n${r.amLog.slice(-3000)}\n\`\`\``}`, '');
  const other = all.filter((n) => !n.relevant);
  L.push('## Other notifications', '');
  L.push(other.length === 0 ? 'None: no other rule notified.' : `${other.length} notifications of other rules (not counted above): ${[...new Set(other.map((n) => `${n.way} ${n.said}`))].slice(0, 10).join('; ')}`);
  L.push('');
  return L.join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  process.exit(1);
});
