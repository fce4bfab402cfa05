/**
 * Alert latency and notifications per incident: otel-health's own sinks, otel-health through
 * Alertmanager, and Prometheus + Alertmanager, on the same services under the same error bursts
 * (issue 11, point 5; issue 17, point 3).
 *
 *   node --import tsx bench/alert-latency/run.ts [--quick] [--replica-lanes K] [--out bench/alert-latency/RESULTS.md] [--seed N]
 *
 * Layout: one *lane* per burst schedule. A lane's services are processes of
 * support/alertmanager-replica.ts (node:http on 127.0.0.1, `/fail` answers 500, monitored by
 * otel-health) that get identical traffic from the load generator here: 100 req/s per service,
 * open loop, and during a burst every second request goes to `/fail` (a 50 % burst of 5xx).
 * Every otel-health process routes its alerts to two sinks at once: a `webhook` to this harness
 * (the direct way) and an `alertmanager` sink (its defaults) to an Alertmanager running
 * collector-config/alertmanager.yml as committed, its receivers pointed at this harness. The
 * first service of an (a), (b) or (c) lane also serves OTEL_METRICS_EXPORTER=prometheus;
 * Prometheus instances scrape it (job = the lane) and evaluate the rules `otel-health rules
 * --naming sdk --service-label job` generates, sending to a second Alertmanager whose webhook
 * receiver is this harness (another path). So every system watches the same bursts at the same
 * time, and lanes run in parallel, each with its own random phase.
 *
 * Systems: `oh-default` (otel-health defaults: checks every 15 s, cooldown 300 s) and `oh-1s`
 * (the same at 1 s checks), as their webhooks receive them; `oh-default+am` and `oh-1s+am`, the
 * same processes' alerts as the recommended Alertmanager notifies them (group_wait 20s);
 * `prom-default` (scrape and evaluation every 1m, Prometheus' defaults; Alertmanager group_wait
 * 30s, group_interval 5m, repeat_interval 4h, its defaults; rules for the default config at a 1m
 * scrape) and `prom-tuned` (5 s scrape and evaluation, group_wait 1s, group_interval 5s; rules for
 * the 1 s-check config at a 5s scrape). `--quick`: oh-1s, oh-1s+am and prom-tuned only, shorter
 * bursts, one replica lane, a few minutes.
 *
 * Scenarios: (a) single bursts, one per lane, random phase: first-notification latency (burst
 * start → first notification with the error-rate alert firing) and resolve latency (burst end →
 * the notification after which nothing of it fires); (b) bursts within the cooldown: a 2 s
 * burst, then bursts starting 5, 26 and 46 s after oh-1s's first firing notification; (c)
 * flapping: 8 bursts of 1 s in 16 s; (r) replicas: one service of 3 or 10 processes at the first
 * otel-health system's settings, its 100 req/s spread round robin over them (as a load balancer
 * would), their check clocks at random phases, one burst as in (a). With (a)'s lanes (one
 * process) they give notifications per incident for 1, 3 and 10 replicas, direct and through
 * Alertmanager. Only the error-rate alert counts (otel-health rule `error_rate`, Prometheus alert
 * `OtelHealthErrorRate`); other notifications are listed apart.
 *
 * Everything runs on 127.0.0.1 with free ports and temporary directories; every process started
 * here is killed at the end (also on errors and signals).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { alertmanagerBinary, freePort, startAlertmanager, type RunningAlertmanager } from '../../support/alertmanager.js';
import { Child, installCleanup, killAllChildren } from '../../support/children.js';
import { describeMachine, machineLines } from '../machine.js';
import { formatSpread, spread } from '../stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const SERVICE = path.join(REPO_ROOT, 'support', 'alertmanager-replica.ts');
const RECOMMENDED_AM = path.join(REPO_ROOT, 'collector-config', 'alertmanager.yml');

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, seed: { type: 'string' }, 'replica-lanes': { type: 'string' } },
});
const QUICK = args.quick === true;

// ---------- random phase (seeded, so a run can be repeated) ----------
let seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const SEED = seed;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// ---------- configuration ----------
/** otel-health as its webhook sink delivers. */
type OhSystem = 'oh-default' | 'oh-1s';
/** The same processes' alerts as the recommended Alertmanager notifies them. */
type AmSystem = `${OhSystem}+am`;
type PromSystem = 'prom-default' | 'prom-tuned';
type SystemId = OhSystem | AmSystem | PromSystem;
const OH_SYSTEMS: OhSystem[] = QUICK ? ['oh-1s'] : ['oh-default', 'oh-1s'];
const viaAlertmanager = (system: OhSystem): AmSystem => `${system}+am`;
const PROM_SYSTEMS: PromSystem[] = QUICK ? ['prom-tuned'] : ['prom-default', 'prom-tuned'];
const ALL_SYSTEMS: SystemId[] = [...OH_SYSTEMS, ...OH_SYSTEMS.map(viaAlertmanager), ...PROM_SYSTEMS];
const CHECK_INTERVAL: Record<OhSystem, number> = { 'oh-default': 15, 'oh-1s': 1 };
/** Prometheus side: global scrape/evaluation interval, the otel-health config its rules are generated from, Alertmanager timings. */
const PROM = {
  'prom-default': { interval: '1m', config: {}, groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
  'prom-tuned': { interval: '5s', config: { checkInterval: 1 }, groupWait: '1s', groupInterval: '5s', repeatInterval: '4h' },
} as const;
/** Replica lanes run at the first otel-health system's settings (the defaults in a full run). */
const REPLICA_SYSTEM: OhSystem = OH_SYSTEMS[0]!;
const REPLICA_COUNTS = QUICK ? [3] : [3, 10];
/** Lanes per replica count: each is one incident. */
const REPLICA_LANES = Number(args['replica-lanes'] ?? (QUICK ? 1 : 3));

const RATE = 100; // requests per second per service
const P = QUICK
  ? { warmupS: 15, phaseS: 5, aLanes: 2, aBurstS: 30, settleS: 40, tailS: 120 }
  : { warmupS: 75, phaseS: 60, aLanes: 5, aBurstS: 240, settleS: 420, tailS: 720 };
const B = { firstS: 2, offsetsS: [5, 26, 46], burstS: 10, fallbackS: 30 };
const C = { bursts: 8, onS: 1, periodS: 2 };

// ---------- processes ----------
const external: ChildProcess[] = [];
const tempDirs: string[] = [];
function cleanupExternal(): void {
  for (const p of external) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}
installCleanup();
process.on('exit', cleanupExternal);

function tempDir(name: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `otel-health-alert-latency-${name}-`));
  tempDirs.push(d);
  return d;
}

function firstLine(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
}

function findBinary(names: string[]): string | undefined {
  return names.find((n) => spawnSync(n, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** The Debian packages' systemd units would hold the default ports and scrape nothing of ours: stop them if they run. */
function stopSystemdUnits(): string[] {
  const notes: string[] = [];
  if (spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status !== 0) return notes;
  for (const unit of ['prometheus', 'prometheus-alertmanager', 'prometheus-node-exporter']) {
    const active = spawnSync('systemctl', ['is-active', unit], { encoding: 'utf8' }).stdout.trim();
    if (active === 'active') {
      spawnSync('systemctl', ['stop', unit]);
      notes.push(`stopped systemd unit ${unit}`);
    }
  }
  return notes;
}

interface External {
  name: string;
  proc: ChildProcess;
  log(): string;
}

function startExternal(name: string, cmd: string, argv: string[]): External {
  let log = '';
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  external.push(proc);
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.on('error', (e) => keep(Buffer.from(String(e))));
  return { name, proc, log: () => log };
}

async function waitReady(ext: External, url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (ext.proc.exitCode !== null) throw new Error(`${ext.name} exited: ${ext.log()}`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    if (Date.now() > deadline) throw new Error(`${ext.name} not ready in 30 s: ${ext.log()}`);
    await sleep(200);
  }
}

async function stopExternal(ext: External): Promise<void> {
  if (ext.proc.exitCode !== null || ext.proc.signalCode !== null) return;
  const exited = new Promise((r) => ext.proc.once('exit', r));
  ext.proc.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (ext.proc.exitCode === null && ext.proc.signalCode === null) ext.proc.kill('SIGKILL');
}

// ---------- the receiver: arrival times and payloads ----------
interface Arrival {
  /** performance.now() at arrival, ms. */
  t: number;
  wall: string;
  path: string;
  body: any;
}
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
      body = { unparsable: Buffer.concat(chunks).toString('utf8').slice(0, 500) };
    }
    arrivals.push({ t, wall: new Date().toISOString(), path: req.url ?? '', body });
    res.statusCode = 200;
    res.end('ok');
  });
});

// ---------- lanes and the load generator ----------
type Scenario = 'a' | 'b' | 'c' | 'r';
interface Burst {
  start: number;
  end: number;
}
/** One otel-health process (a service, or one replica of a replica lane's service). */
interface ServiceProcess {
  system: OhSystem;
  service: string;
  child: Child;
  port: number;
  exporterPort?: number;
}
interface Lane {
  name: string;
  scenario: Scenario;
  processes: ServiceProcess[];
  bursts: Burst[];
  /** The base (first burst start), ms. */
  base: number;
  sent: number;
  sentFail: number;
  answered5xx: number;
  failures: number;
  bTrigger?: { at: number; fallback: boolean };
}
/** service.name → its lane and system: Alertmanager's notifications name the service only. */
const serviceIndex = new Map<string, { lane: string; system: OhSystem }>();

function inBurst(lane: Lane, now: number): boolean {
  return lane.bursts.some((b) => now >= b.start && now < b.end);
}

/** The systems a lane's bursts are judged by: replica lanes have no Prometheus and one otel-health setting. */
function systemsOf(lane: Lane): SystemId[] {
  return lane.scenario === 'r' ? [REPLICA_SYSTEM, viaAlertmanager(REPLICA_SYSTEM)] : ALL_SYSTEMS;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const MAX_IN_FLIGHT = 200;

/**
 * Open-loop load at RATE per *service*: each process of an (a), (b) or (c) lane is a service of
 * its own; a replica lane's processes share one service's RATE, round robin.
 */
function startLoad(lanes: Lane[]): { stop(): void } {
  const t0 = performance.now();
  const streams = lanes.flatMap((lane) => (lane.scenario === 'r' ? [lane.processes] : lane.processes.map((p) => [p])));
  const targets = streams.map((processes) => ({ lane: lanes.find((l) => l.processes.includes(processes[0]!))!, ports: processes.map((p) => p.port), sent: 0, inFlight: 0, next: 0, seq: processes.map(() => 0) }));
  const tick = (): void => {
    const now = performance.now();
    const due = Math.floor(((now - t0) / 1000) * RATE);
    for (const target of targets) {
      const burst = inBurst(target.lane, now);
      // Bounded: at most 20 per tick and MAX_IN_FLIGHT outstanding (a stalled service is not flooded).
      let n = Math.min(due - target.sent, 20);
      while (n-- > 0 && target.inFlight < MAX_IN_FLIGHT) {
        target.sent++;
        const index = target.next++ % target.ports.length;
        // Every second request *of each process* fails: alternating over a replicated service's
        // stream would, with an even number of replicas, send every failure to half of them.
        const fail = burst && target.seq[index]!++ % 2 === 0;
        if (!burst) target.seq[index] = 0;
        target.lane.sent++;
        if (fail) target.lane.sentFail++;
        target.inFlight++;
        const req = http.request({ host: '127.0.0.1', port: target.ports[index], path: fail ? '/fail' : '/ok', agent, timeout: 10_000 }, (res) => {
          if ((res.statusCode ?? 0) >= 500) target.lane.answered5xx++;
          res.resume();
          res.on('end', () => target.inFlight--);
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          target.inFlight--;
          target.lane.failures++;
        });
        req.end();
      }
      if (due - target.sent > 20) target.sent = due - 20; // behind by more than a tick's cap: skip, stay open-loop bounded
    }
  };
  const timer = setInterval(tick, 10);
  return { stop: () => clearInterval(timer) };
}

// ---------- notifications ----------
interface Note {
  lane: string;
  system: SystemId;
  t: number;
  /** Concerns the error-rate alert. */
  relevant: boolean;
  /** It says the error-rate alert fires (at some level). */
  says: boolean;
  /** Whether, after this notification, the receiver knows of the error-rate alert firing on this lane (any process; any Alertmanager receiver). */
  active: boolean;
  summary: string;
}

function notes(lanes: Lane[]): Note[] {
  const laneNames = new Set(lanes.map((l) => l.name));
  const out: Note[] = [];
  /** Per lane and system, what the receiver last heard of each alert: direct per process and fingerprint, Alertmanager per receiver and group. */
  const heard = new Map<string, Map<string, boolean>>();
  const heardOf = (lane: string, system: SystemId): Map<string, boolean> => {
    const key = `${lane}/${system}`;
    let map = heard.get(key);
    if (map === undefined) heard.set(key, (map = new Map()));
    return map;
  };
  const anyFiring = (map: Map<string, boolean>): boolean => [...map.values()].some(Boolean);
  /** `firing critical; resolved warning`: the severities of an Alertmanager notification's alerts. */
  const severities = (alerts: { status: string; labels: Record<string, string> }[]): { firing: string[]; text: string } => {
    const firing = alerts.filter((x) => x.status === 'firing').map((x) => x.labels.severity!);
    const resolved = alerts.filter((x) => x.status === 'resolved').map((x) => x.labels.severity!);
    return { firing, text: [firing.length ? `firing ${firing.join('+')}` : '', resolved.length ? `resolved ${resolved.join('+')}` : ''].filter(Boolean).join('; ') };
  };
  for (const a of [...arrivals].sort((x, y) => x.t - y.t)) {
    const parts = a.path.split('/').filter(Boolean);
    if (parts[0] === 'oh' && parts.length === 4) {
      // A process's own webhook: /oh/<lane>/<system>/<process index>.
      const [, lane, system, index] = parts as [string, string, OhSystem, string];
      const alerts = (a.body.alerts ?? []) as { rule: string; state: string; transition: string; level: string; repeat?: boolean; fingerprint: string; flapping?: unknown }[];
      const er = alerts.filter((x) => x.rule === 'error_rate');
      const map = heardOf(lane, system);
      for (const x of er) map.set(`${index}/${x.fingerprint}`, x.state === 'firing');
      const summary = alerts
        .map((x) => `${x.rule === 'error_rate' ? '' : `${x.rule} `}${x.repeat === true ? 'repeat' : x.transition}${x.flapping !== undefined ? `(${JSON.stringify(x.flapping)})` : ''} ${x.level}${x.state !== (x.transition === 'resolved' ? 'resolved' : 'firing') ? ` [${x.state}]` : ''}`)
        .join(', ');
      out.push({ lane, system, t: a.t, relevant: er.length > 0, says: er.some((x) => x.state === 'firing'), active: anyFiring(map), summary: summary + (a.body.omitted ? ` (+${a.body.omitted})` : '') });
    } else if (parts[0] === 'am' && parts.length === 2) {
      // Prometheus' Alertmanager: /am/<system>, grouped by alertname and job (= the lane).
      const system = parts[1] as PromSystem;
      const lane = String(a.body.groupLabels?.job ?? a.body.commonLabels?.job ?? '?');
      if (!laneNames.has(lane)) continue;
      const alerts = (a.body.alerts ?? []) as { status: string; labels: Record<string, string> }[];
      const relevant = a.body.groupLabels?.alertname === 'OtelHealthErrorRate' || alerts.some((x) => x.labels.alertname === 'OtelHealthErrorRate');
      const { firing, text } = severities(alerts);
      const map = heardOf(lane, system);
      if (relevant) map.set('group', firing.length > 0);
      out.push({ lane, system, t: a.t, relevant, says: relevant && firing.length > 0, active: anyFiring(map), summary: `${relevant ? '' : `${a.body.groupLabels?.alertname ?? '?'} `}${a.body.status}: ${text}` });
    } else if (parts[0] === 'oh-am' && parts.length === 2) {
      // The recommended Alertmanager: /oh-am/<receiver> (team, or pager for critical), grouped by service and rule.
      const group = (a.body.groupLabels ?? {}) as Record<string, string>;
      const who = serviceIndex.get(group.service ?? '');
      if (who === undefined) continue;
      const system = viaAlertmanager(who.system);
      const relevant = group.rule === 'error_rate';
      const { firing, text } = severities((a.body.alerts ?? []) as { status: string; labels: Record<string, string> }[]);
      const map = heardOf(who.lane, system);
      if (relevant) map.set(parts[1]!, firing.length > 0);
      out.push({ lane: who.lane, system, t: a.t, relevant, says: relevant && firing.length > 0, active: anyFiring(map), summary: `${relevant ? '' : `${group.rule ?? '?'} `}${parts[1]} ${a.body.status}: ${text}` });
    }
  }
  return out;
}

// ---------- main ----------
/** The recommended Alertmanager configuration, as committed, its receivers pointed at this harness. */
function recommendedAlertmanagerYaml(receiverUrl: string): { yaml: string; timings: Record<string, string> } {
  let yaml = readFileSync(RECOMMENDED_AM, 'utf8');
  for (const [placeholder, receiverPath] of [
    ['http://alert-receiver.example:8080/alerts', '/oh-am/team'],
    ['http://pager.example:8080/alerts', '/oh-am/pager'],
  ] as const) {
    if (!yaml.includes(placeholder)) throw new Error(`${RECOMMENDED_AM} no longer has the receiver ${placeholder}: update the benchmark`);
    yaml = yaml.replace(placeholder, `${receiverUrl}${receiverPath}`);
  }
  const timings = Object.fromEntries(['group_wait', 'group_interval', 'repeat_interval'].map((k) => [k, new RegExp(`^\\s+${k}: (\\S+)`, 'm').exec(yaml)?.[1] ?? '?']));
  return { yaml, timings };
}

/** Prometheus' Alertmanager: a route per Prometheus system, as the generated rules advise. */
function prometheusAlertmanagerYaml(receiverUrl: string): string {
  const routes = PROM_SYSTEMS.map((s) =>
    [
      `    - matchers: ['pipeline="${s}"']`,
      `      receiver: ${s}`,
      `      group_wait: ${PROM[s].groupWait}`,
      `      group_interval: ${PROM[s].groupInterval}`,
      `      repeat_interval: ${PROM[s].repeatInterval}`,
    ].join('\n'),
  );
  return [
    'route:',
    `  receiver: ${PROM_SYSTEMS[0]}`,
    '  group_by: [alertname, job]',
    '  routes:',
    ...routes,
    'receivers:',
    ...PROM_SYSTEMS.map((s) => [`  - name: ${s}`, '    webhook_configs:', `      - url: "${receiverUrl}/am/${s}"`, '        send_resolved: true'].join('\n')),
    '# As the generated rules advise: a higher severity of an alert inhibits the lower ones.',
    'inhibit_rules:',
    "  - source_matchers: ['severity=\"critical\"']",
    "    target_matchers: ['severity=~\"warning|error\"']",
    '    equal: [alertname, job, pipeline]',
    "  - source_matchers: ['severity=\"error\"']",
    "    target_matchers: ['severity=\"warning\"']",
    '    equal: [alertname, job, pipeline]',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const machine = describeMachine(REPO_ROOT);
  const runStart = performance.now();
  const setupNotes = stopSystemdUnits();
  const promBin = findBinary(['prometheus']);
  const amBin = alertmanagerBinary;
  if (!promBin || !amBin) {
    console.error('prometheus and alertmanager are needed: apt-get update && apt-get install -y prometheus prometheus-alertmanager');
    process.exit(2);
  }
  const versions = { prometheus: firstLine(promBin, ['--version']), alertmanager: firstLine(amBin, ['--version']) };
  console.log(`alert-latency: ${QUICK ? 'quick' : 'full'} run, seed ${SEED}; ${versions.prometheus}; ${versions.alertmanager}`);

  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

  // Both Alertmanagers first: the services' alertmanager sinks need the recommended one's URL.
  const recommended = recommendedAlertmanagerYaml(receiverUrl);
  const alertmanagers: { name: string; am: RunningAlertmanager }[] = [
    { name: 'recommended (otel-health sinks)', am: await startAlertmanager(recommended.yaml) },
    { name: 'Prometheus\'', am: await startAlertmanager(prometheusAlertmanagerYaml(receiverUrl)) },
  ];
  process.on('exit', () => {
    for (const { am } of alertmanagers) void am.stopProcess();
  });
  const ohAmUrl = alertmanagers[0]!.am.url;

  // Lanes and their processes (the first process of an (a), (b) or (c) lane serves the Prometheus scrape endpoint).
  const laneSpecs: { name: string; scenario: Scenario; replicas?: number }[] = [
    ...Array.from({ length: P.aLanes }, (_, i) => ({ name: `a${i + 1}`, scenario: 'a' as const })),
    { name: 'b1', scenario: 'b' },
    { name: 'c1', scenario: 'c' },
    ...REPLICA_COUNTS.flatMap((count) => Array.from({ length: REPLICA_LANES }, (_, i) => ({ name: `r${count}-${i + 1}`, scenario: 'r' as const, replicas: count }))),
  ];
  const lanes: Lane[] = [];
  for (const spec of laneSpecs) {
    const processes: ServiceProcess[] = [];
    const members: { system: OhSystem; service: string }[] =
      spec.scenario === 'r' ? Array.from({ length: spec.replicas! }, () => ({ system: REPLICA_SYSTEM, service: spec.name })) : OH_SYSTEMS.map((system) => ({ system, service: `${spec.name}-${system}` }));
    for (const [i, { system, service }] of members.entries()) {
      const exporterPort = i === 0 && spec.scenario !== 'r' ? await freePort() : undefined;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        REPLICA_SERVICE: service,
        REPLICA_CHECK_INTERVAL: String(CHECK_INTERVAL[system]),
        REPLICA_WEBHOOK: `${receiverUrl}/oh/${spec.name}/${system}/${i}`,
        REPLICA_AM_URLS: ohAmUrl,
        REPLICA_AM_DEFAULTS: '1',
        // Replicas started at different times have check clocks at different phases.
        REPLICA_START_DELAY: spec.scenario === 'r' ? String(Math.round(random() * CHECK_INTERVAL[system] * 1000)) : '0',
        OTEL_METRICS_EXPORTER: exporterPort !== undefined ? 'prometheus' : 'none',
        OTEL_LOGS_EXPORTER: 'none',
      };
      delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
      if (exporterPort !== undefined) {
        env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
        env.OTEL_EXPORTER_PROMETHEUS_PORT = String(exporterPort);
      }
      serviceIndex.set(service, { lane: spec.name, system });
      const name = spec.scenario === 'r' ? `${service}-${i}` : service;
      processes.push({ system, service, child: new Child(name, SERVICE, [], { cwd: REPO_ROOT, env }), port: 0, exporterPort });
    }
    lanes.push({ name: spec.name, scenario: spec.scenario, processes, bursts: [], base: 0, sent: 0, sentFail: 0, answered5xx: 0, failures: 0 });
  }
  const allProcesses = lanes.flatMap((l) => l.processes);
  for (const p of allProcesses) {
    p.port = await p.child.waitFor(
      (m) => {
        const msg = m as { type?: string; port?: number; error?: string };
        if (msg.type === 'error') throw new Error(msg.error);
        return msg.type === 'ready' ? msg.port : undefined;
      },
      180_000,
      `${p.child.name} ready`,
    );
  }
  console.log(`${allProcesses.length} otel-health processes ready in ${lanes.length} lanes`);

  // Rules and Prometheus, scraping each (a), (b), (c) lane's first process.
  const rulesInfo: { system: SystemId; command: string; note: string; alerts: number }[] = [];
  const externals: External[] = [];
  const promAmPort = new URL(alertmanagers[1]!.am.url).port;
  for (const system of PROM_SYSTEMS) {
    const spec = PROM[system];
    const dir = tempDir(system);
    writeFileSync(path.join(dir, 'health.json'), JSON.stringify(spec.config));
    const cliArgs = ['rules', '--naming', 'sdk', '--service-label', 'job', '--scrape-interval', spec.interval, '--config', path.join(dir, 'health.json'), '--out', path.join(dir, 'rules.yml')];
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli.ts'), ...cliArgs], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`otel-health rules failed: ${r.stdout}${r.stderr}`);
    const alerts = Number(/wrote (\d+) alerting rules/.exec(r.stderr)?.[1] ?? NaN);
    rulesInfo.push({ system, command: `otel-health ${cliArgs.slice(0, 7).join(' ')} --config <${JSON.stringify(spec.config)}>`, note: r.stderr.split('\n').filter((l) => /note/.test(l)).join(' ').trim(), alerts });
    const promYaml = [
      'global:',
      `  scrape_interval: ${spec.interval}`,
      `  evaluation_interval: ${spec.interval}`,
      '  external_labels:',
      `    pipeline: ${system}`,
      'alerting:',
      '  alertmanagers:',
      '    - static_configs:',
      `        - targets: ["127.0.0.1:${promAmPort}"]`,
      'rule_files:',
      '  - rules.yml',
      'scrape_configs:',
      ...lanes.filter((l) => l.scenario !== 'r').map((l) => [`  - job_name: ${l.name}`, '    static_configs:', `      - targets: ["127.0.0.1:${l.processes[0]!.exporterPort}"]`].join('\n')),
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'prometheus.yml'), promYaml);
    const promPort = await freePort();
    const prom = startExternal(system, promBin, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    externals.push(prom);
    await waitReady(prom, `http://127.0.0.1:${promPort}/-/ready`);
  }
  console.log(`two alertmanagers and ${PROM_SYSTEMS.join(', ')} ready`);

  // Load, warm-up, then each lane's bursts at its own random phase.
  const load = startLoad(lanes);
  const loadStart = performance.now();
  const burstsAt = loadStart + P.warmupS * 1000;
  for (const lane of lanes) {
    lane.base = burstsAt + random() * P.phaseS * 1000;
    if (lane.scenario === 'a' || lane.scenario === 'r') lane.bursts.push({ start: lane.base, end: lane.base + P.aBurstS * 1000 });
    if (lane.scenario === 'b') lane.bursts.push({ start: lane.base, end: lane.base + B.firstS * 1000 });
    if (lane.scenario === 'c') for (let k = 0; k < C.bursts; k++) lane.bursts.push({ start: lane.base + k * C.periodS * 1000, end: lane.base + (k * C.periodS + C.onS) * 1000 });
  }
  console.log(`load started at ${RATE} req/s per service; bursts from +${P.warmupS} s`);

  // (b): the later bursts start 5, 26 and 46 s after oh-1s's first firing notification on that lane.
  const bLane = lanes.find((l) => l.scenario === 'b')!;
  const lastEnd = (): number => Math.max(...lanes.flatMap((l) => l.bursts.map((b) => b.end)));
  const deadline = (): number => lastEnd() + P.tailS * 1000;
  let lastLog = 0;
  for (;;) {
    await sleep(250);
    const now = performance.now();
    if (bLane.bTrigger === undefined && now > bLane.base) {
      const first = notes(lanes).find((n) => n.lane === bLane.name && n.system === 'oh-1s' && n.relevant && n.active && n.t >= bLane.base);
      const fallback = now > bLane.base + B.fallbackS * 1000;
      if (first !== undefined || fallback) {
        const at = first?.t ?? now;
        bLane.bTrigger = { at, fallback: first === undefined };
        for (const off of B.offsetsS) bLane.bursts.push({ start: at + off * 1000, end: at + (off + B.burstS) * 1000 });
      }
    }
    const ns = notes(lanes).filter((n) => n.relevant);
    const activeNow = new Map<string, boolean>();
    for (const n of ns) activeNow.set(`${n.lane}/${n.system}`, n.active);
    const anyActive = [...activeNow.values()].some(Boolean);
    const burstsResolved = lanes
      .filter((l) => l.scenario === 'a' || l.scenario === 'r')
      .every((l) => systemsOf(l).every((s) => ns.some((n) => n.lane === l.name && n.system === s && n.active) && activeNow.get(`${l.name}/${s}`) === false));
    const settled = bLane.bTrigger !== undefined && now > lastEnd() + P.settleS * 1000 && !anyActive && burstsResolved;
    if (now - lastLog > 30_000) {
      lastLog = now;
      console.log(`+${((now - loadStart) / 1000).toFixed(0)} s: ${ns.length} error-rate notifications; active: ${[...activeNow].filter(([, v]) => v).map(([k]) => k).join(' ') || 'none'}`);
    }
    if (settled || (bLane.bTrigger !== undefined && now > deadline())) break;
  }
  const endedAt = performance.now();
  load.stop();
  machine.loadAvgEnd = os.loadavg();

  // Each process's sink counters (a sink that failed or dropped would explain a missing notification).
  const sinkStats: SinkStats[] = [];
  for (const p of allProcesses) {
    const answer = p.child.waitFor((m) => ((m as { type?: string }).type === 'stats' ? (m as { sinks: SinkStats['sinks'] }).sinks : undefined), 10_000, `${p.child.name} stats`);
    p.child.send({ type: 'stats' });
    sinkStats.push({ process: p.child.name, system: p.system, sinks: await answer.catch((e: unknown) => ({ error: String(e) })) });
  }
  const amLogs = alertmanagers.map(({ name, am }) => ({ name, log: am.log().trim() }));

  const stopAt = performance.now();
  for (const p of allProcesses) p.child.send({ type: 'stop' });
  await Promise.all(allProcesses.map((p) => p.child.stop(10_000)));
  for (const ext of externals) await stopExternal(ext);
  for (const { am } of alertmanagers) await am.stop();
  killAllChildren();
  receiver.closeAllConnections();
  receiver.close();
  agent.destroy();

  const report = buildReport({ lanes, machine, versions, rulesInfo, setupNotes, amTimings: recommended.timings, sinkStats, amLogs, wallS: (endedAt - runStart) / 1000, loadStart, stopAt });
  console.log(report);
  if (args.out) writeFileSync(path.resolve(args.out), report);
  writeFileSync(path.resolve(args.out ? args.out.replace(/\.md$/, '') + '.json' : path.join(os.tmpdir(), 'alert-latency.json')), JSON.stringify({ seed: SEED, quick: QUICK, lanes: lanes.map((l) => ({ name: l.name, scenario: l.scenario, processes: l.processes.length, bursts: l.bursts.map((b) => ({ start: (b.start - loadStart) / 1000, end: (b.end - loadStart) / 1000 })) })), notifications: notes(lanes).map((n) => ({ ...n, t: (n.t - loadStart) / 1000 })) }, null, 1) + '\n');
  cleanupExternal();
  process.exit(0);
}

interface SinkCounters {
  sent: number;
  failed: number;
  dropped: number;
  retries?: number;
  resends?: number;
  lastError?: string;
}
/** One process's `monitor.alerting.stats().sinks` (its `direct` webhook and `am` sink), or why it gave none. */
interface SinkStats {
  process: string;
  system: OhSystem;
  sinks: { direct?: SinkCounters; am?: SinkCounters } | { error: string };
}

// ---------- analysis and report ----------
/** The first notification after which the receiver knows of the alert firing. */
function firstFiring(ns: readonly Note[]): Note | undefined {
  return ns.find((n) => n.active);
}

/** The notification after the first firing one after which the receiver knows of nothing firing. */
function resolvedAfter(ns: readonly Note[]): Note | undefined {
  const first = firstFiring(ns);
  return first === undefined ? undefined : ns.find((n) => n.t > first.t && !n.active);
}

function buildReport(r: {
  lanes: Lane[];
  machine: ReturnType<typeof describeMachine>;
  versions: Record<string, string>;
  rulesInfo: { system: SystemId; command: string; note: string; alerts: number }[];
  setupNotes: string[];
  amTimings: Record<string, string>;
  sinkStats: SinkStats[];
  amLogs: { name: string; log: string }[];
  wallS: number;
  loadStart: number;
  stopAt: number;
}): string {
  // A notification sent once the services were told to stop is the monitor's shutdown flush, not its own timing.
  const all = notes(r.lanes).map((n) => (n.t >= r.stopAt ? { ...n, summary: `${n.summary} (at shutdown)` } : n));
  const rel = all.filter((n) => n.relevant);
  const s1 = (ms: number): string => (ms / 1000).toFixed(1);
  const L: string[] = [];
  const cmd = `node --import tsx bench/alert-latency/run.ts${QUICK ? ' --quick' : ''}${args['replica-lanes'] ? ` --replica-lanes ${args['replica-lanes']}` : ''}${args.out ? ` --out ${args.out}` : ''} --seed ${SEED}`;
  L.push(`# Alert latency and notifications per incident: otel-health, otel-health through Alertmanager, Prometheus + Alertmanager${QUICK ? ' (quick run)' : ''}`, '');
  L.push(`Command: \`${cmd}\` (the seed fixes each lane's burst offsets from the start of the load; the phase against each process's check, scrape and evaluation clocks still varies from run to run). Wall time ${(r.wallS / 60).toFixed(1)} min.`, '');
  L.push('Machine:', '', ...machineLines(r.machine).map((l) => `- ${l}`), `- ${r.versions.prometheus}`, `- ${r.versions.alertmanager}`, ...r.setupNotes.map((l) => `- ${l}`), '');
  L.push('## Setup', '');
  const replicaLanes = r.lanes.filter((l) => l.scenario === 'r');
  L.push(
    `Each (a), (b) and (c) lane is ${OH_SYSTEMS.length === 2 ? 'two service processes' : 'one service process'} (node:http on 127.0.0.1, \`/fail\` answers 500) with identical open-loop traffic from the harness, ${RATE} req/s each; in a burst every second request is a 5xx (50 %). ` +
      `Each service is monitored by otel-health (${OH_SYSTEMS.map((s) => `\`${s}\`: checkInterval ${CHECK_INTERVAL[s]} s`).join(', ')}; every other option at its default: error-rate levels 5/10/25 %, cooldown 300 s, groupWait 0, hostMetrics off) with two sinks on its default route: a \`webhook\` to the harness, which records arrival times (the systems \`${OH_SYSTEMS.join('`, `')}\`), and an \`alertmanager\` sink (its defaults: resendDelay 60 s, timeout 10 s) to an Alertmanager running \`collector-config/alertmanager.yml\` as committed (group_by [service, rule], group_wait ${r.amTimings.group_wait}, group_interval ${r.amTimings.group_interval}, repeat_interval ${r.amTimings.repeat_interval}, critical to the \`pager\` receiver, the rest to \`team\`, its severity inhibitions), both receivers posting to the harness (the systems \`${OH_SYSTEMS.map(viaAlertmanager).join('`, `')}\`: the same processes, the same alerts, one more hop). ` +
      `The lane's first service also serves \`OTEL_METRICS_EXPORTER=prometheus\`; ${PROM_SYSTEMS.map((s) => `\`${s}\` (scrape and evaluation every ${PROM[s].interval}; Alertmanager group_wait ${PROM[s].groupWait}, group_interval ${PROM[s].groupInterval}, repeat_interval ${PROM[s].repeatInterval})`).join(' and ')} scrape it (job = lane) and send to a second Alertmanager (routes by an external label \`pipeline\`, group_by [alertname, job], critical inhibits error/warning and error inhibits warning, as the generated rules advise) whose webhook receiver is the same harness (send_resolved).`,
    '',
  );
  L.push(
    `Replica lanes (${replicaLanes.map((l) => l.name).join(', ')}): one service of ${REPLICA_COUNTS.join(' or ')} processes at \`${REPLICA_SYSTEM}\`'s settings and sinks, its ${RATE} req/s spread round robin over them (every second request of each process fails in a burst), each process starting its monitor at a random offset within one check interval (replicas started at different times check at different phases); one ${P.aBurstS} s burst as in (a). Not scraped by Prometheus.`,
    '',
  );
  for (const ri of r.rulesInfo) L.push(`- \`${ri.system}\` rules: \`${ri.command}\` (run from src/cli.ts with tsx): ${ri.alerts} alerting rules${ri.note ? `; ${ri.note.replace(/^otel-health: /, '')}` : ''}`);
  L.push('', 'Only the error-rate alert counts below (otel-health rule `error_rate`, Prometheus alert `OtelHealthErrorRate`). Times on the harness clock: burst start/end = when the load generator began/stopped sending `/fail`; a notification = when its POST reached the harness; "(at shutdown)" marks one that arrived after the harness told the services to stop (the monitor delivering a held state at shutdown).', '');

  // Load sanity.
  L.push('Load per lane (all processes of the lane): requests sent, of them to /fail, 5xx answered, transport errors:', '');
  L.push('| lane | scenario | processes | sent | /fail | 5xx | errors |', '|---|---|---:|---:|---:|---:|---:|');
  for (const l of r.lanes) L.push(`| ${l.name} | ${l.scenario} | ${l.processes.length} | ${l.sent} | ${l.sentFail} | ${l.answered5xx} | ${l.failures} |`);
  L.push('');

  // (a)
  const aLanes = r.lanes.filter((l) => l.scenario === 'a');
  L.push(`## (a) Single bursts: ${aLanes.length} bursts of ${P.aBurstS} s, random phase (0–${P.phaseS} s) relative to the check / scrape / evaluation clocks`, '');
  L.push('Medians (min–max) over the bursts, seconds. First notification: burst start → first notification with the alert firing. Resolve: burst end → the notification after which the receiver knows nothing of it firing (negative: before the burst ended).', '');
  L.push('| system | bursts notified | first notification, s | resolve, s | notifications per incident | first notification said |', '|---|---:|---:|---:|---:|---|');
  const detail: string[] = [];
  for (const system of ALL_SYSTEMS) {
    const first: number[] = [];
    const resolve: number[] = [];
    const count: number[] = [];
    const said: string[] = [];
    for (const l of aLanes) {
      const b = l.bursts[0]!;
      const ns = rel.filter((n) => n.lane === l.name && n.system === system && n.t >= b.start);
      const before = rel.filter((n) => n.lane === l.name && n.system === system && n.t < b.start).length;
      const f = firstFiring(ns);
      const res = resolvedAfter(ns);
      if (f) first.push(f.t - b.start);
      if (res) resolve.push(res.t - b.end);
      count.push(ns.length);
      if (f) said.push(f.summary);
      detail.push(`| ${l.name} | ${system} | ${f ? s1(f.t - b.start) : '—'} | ${res ? s1(res.t - b.end) : '—'} | ${ns.length}${before ? ` (+${before} before the burst)` : ''} | ${ns.map((n) => `+${s1(n.t - b.start)} s ${n.summary}`).join('<br>')} |`);
    }
    const sec = (v: number[]): string => formatSpread(spread(v.map((x) => x / 1000)), 1);
    const saidSet = [...new Set(said)];
    L.push(`| ${system} | ${first.length}/${aLanes.length} | ${sec(first)} | ${sec(resolve)}${resolve.length < first.length ? ` (${resolve.length} resolved)` : ''} | ${formatSpread(spread(count), 0)} | ${saidSet.join('; ') || '—'} |`);
  }
  L.push('', 'Per burst (times after burst start; the burst ends at +' + P.aBurstS + ' s):', '');
  L.push('| lane | system | first, s | resolve, s | notifications | notifications (time after burst start, what it said) |', '|---|---|---:|---:|---:|---|');
  L.push(...detail, '');

  // (b), (c)
  for (const l of r.lanes.filter((x) => x.scenario === 'b' || x.scenario === 'c')) {
    const base = l.bursts[0]!.start;
    const rel0 = (t: number): string => `+${s1(t - base)}`;
    if (l.scenario === 'b') {
      L.push(`## (b) Bursts within the cooldown (lane ${l.name})`, '');
      L.push(
        `A ${B.firstS} s burst, then ${B.burstS} s bursts starting ${B.offsetsS.join(', ')} s after oh-1s's first firing notification` +
          (l.bTrigger?.fallback ? ` (oh-1s did not fire within ${B.fallbackS} s: the bursts were placed from then instead)` : ` (which arrived ${s1(l.bTrigger!.at - base)} s after the first burst began)`) +
          `. Bursts (s after the first burst's start): ${l.bursts.map((b) => `${s1(b.start - base)}–${s1(b.end - base)}`).join(', ')}. True state at the end: healthy (no burst since ${s1(l.bursts.at(-1)!.end - base)} s).`,
        '',
      );
    } else {
      L.push(`## (c) Flapping (lane ${l.name})`, '');
      L.push(`${C.bursts} bursts of ${C.onS} s every ${C.periodS} s (${C.bursts * C.periodS} s in all). True state at the end: healthy (no burst since ${s1(l.bursts.at(-1)!.end - base)} s).`, '');
    }
    const lastBurstEnd = l.bursts.at(-1)!.end;
    L.push('| system | bursts | incidents notified (not firing → firing) | notifications (firing-state / resolved-state) | last notification said | state it left vs true state at the end | last notification, s after the last burst ended | notifications (s after first burst start) |', '|---|---:|---:|---:|---|---|---:|---|');
    for (const system of ALL_SYSTEMS) {
      const ns = rel.filter((n) => n.lane === l.name && n.system === system);
      let prev = false;
      let incidents = 0;
      for (const n of ns) {
        if (n.active && !prev) incidents++;
        prev = n.active;
      }
      const last = ns.at(-1);
      L.push(
        `| ${system} | ${l.bursts.length} | ${incidents} | ${ns.length} (${ns.filter((n) => n.active).length} / ${ns.filter((n) => !n.active).length}) | ${last ? last.summary : '(none)'} | ${last ? (last.active ? 'firing (true: healthy) ✗' : 'resolved (true: healthy) ✓') : 'nothing sent (true: healthy)'} | ${last ? s1(last.t - lastBurstEnd) : '—'} | ${ns.map((n) => `${rel0(n.t)} ${n.summary}`).join('<br>') || '—'} |`,
      );
    }
    L.push('');
  }

  L.push(...replicaSection(r, rel), ...sinkSection(r.sinkStats, r.amLogs));

  const other = all.filter((n) => !n.relevant);
  L.push('## Other notifications', '');
  if (other.length === 0) L.push('None: no other rule notified.');
  else {
    L.push('Notifications without the error-rate alert (not counted above):', '');
    for (const n of other) L.push(`- ${n.lane} ${n.system} +${s1(n.t - r.loadStart)} s after load start: ${n.summary}`);
  }
  L.push('');
  return L.join('\n');
}

/**
 * (r) with (a): notifications per incident and time to the page for 1 replica ((a)'s lanes) and
 * the replica lanes, the processes' own webhooks next to the recommended Alertmanager.
 */
function replicaSection(r: { lanes: Lane[] }, rel: Note[]): string[] {
  const s1 = (ms: number): string => (ms / 1000).toFixed(1);
  const direct = REPLICA_SYSTEM;
  const viaAm = viaAlertmanager(REPLICA_SYSTEM);
  interface Incident {
    lane: Lane;
    burst: Burst;
    direct: Note[];
    viaAm: Note[];
  }
  const incidents: Incident[] = r.lanes
    .filter((l) => l.scenario === 'a' || l.scenario === 'r')
    .map((lane) => {
      const burst = lane.bursts[0]!;
      const mine = (system: SystemId): Note[] => rel.filter((n) => n.lane === lane.name && n.system === system && n.t >= burst.start);
      return { lane, burst, direct: mine(direct), viaAm: mine(viaAm) };
    });
  // An (a) lane has one process per otel-health system: one replica of the service judged here.
  const replicas = (lane: Lane): number => (lane.scenario === 'r' ? lane.processes.length : 1);
  const counts = [...new Set(incidents.map((x) => replicas(x.lane)))].sort((a, b) => a - b);
  const L: string[] = [];
  L.push(`## (r) Replicas: notifications per incident, each process's webhook vs the Alertmanager sink`, '');
  L.push(
    `One incident per lane: ${P.aBurstS} s of 50 % errors on every process of the service. 1 replica: (a)'s lanes (\`${direct}\` and \`${viaAm}\` above); ${counts.filter((c) => c > 1).join(' and ')} replicas: the replica lanes. ` +
      `Direct: every webhook POST of any replica about the alert (firing, escalated, de-escalated, resolved; "saying firing": those with the alert firing). Alertmanager: every notification of the \`{service, rule="error_rate"}\` group, on either receiver. ` +
      `First: burst start → the first notification with the alert firing (direct: the first replica to post). Resolve: burst end → the notification after which the receiver knows of no replica (direct) or no receiver's group (Alertmanager) still firing. Median (min–max), seconds for times.`,
    '',
  );
  L.push(
    '| replicas | incidents | direct: notifications | direct: saying firing | Alertmanager: notifications | Alertmanager: saying firing | direct: first, s | Alertmanager: first, s | direct: resolve, s | Alertmanager: resolve, s |',
    '|---:|---:|---|---|---|---|---|---|---|---|',
  );
  const spreadOf = (values: number[], digits: number): string => formatSpread(spread(values), digits);
  for (const count of counts) {
    const mine = incidents.filter((x) => replicas(x.lane) === count);
    const times = (pick: (x: Incident) => number | undefined): number[] => mine.map(pick).filter((v): v is number => v !== undefined).map((ms) => ms / 1000);
    const firstAfter = (ns: Note[], burst: Burst): number | undefined => {
      const f = firstFiring(ns);
      return f === undefined ? undefined : f.t - burst.start;
    };
    const resolveAfter = (ns: Note[], burst: Burst): number | undefined => {
      const res = resolvedAfter(ns);
      return res === undefined ? undefined : res.t - burst.end;
    };
    const notified = (pick: (x: Incident) => Note[]): string => `${mine.filter((x) => firstFiring(pick(x)) !== undefined).length}/${mine.length}`;
    L.push(
      `| ${count} | ${mine.length} (notified: direct ${notified((x) => x.direct)}, Alertmanager ${notified((x) => x.viaAm)}) | ${spreadOf(mine.map((x) => x.direct.length), 0)} | ${spreadOf(mine.map((x) => x.direct.filter((n) => n.says).length), 0)} | ${spreadOf(mine.map((x) => x.viaAm.length), 0)} | ${spreadOf(mine.map((x) => x.viaAm.filter((n) => n.says).length), 0)} | ` +
        `${spreadOf(times((x) => firstAfter(x.direct, x.burst)), 1)} | ${spreadOf(times((x) => firstAfter(x.viaAm, x.burst)), 1)} | ${spreadOf(times((x) => resolveAfter(x.direct, x.burst)), 1)} | ${spreadOf(times((x) => resolveAfter(x.viaAm, x.burst)), 1)} |`,
    );
  }
  L.push('', `Per incident (s after burst start; the burst ends at +${P.aBurstS} s):`, '');
  L.push('| replicas | lane | direct (count: first … last) | Alertmanager notifications |', '|---:|---|---|---|');
  for (const x of incidents) {
    const at = (n: Note): string => `+${s1(n.t - x.burst.start)}`;
    const d = x.direct;
    const directCell = d.length === 0 ? '—' : `${d.length}: ${at(d[0]!)} ${d[0]!.summary} … ${at(d.at(-1)!)} ${d.at(-1)!.summary}`;
    L.push(`| ${replicas(x.lane)} | ${x.lane.name} | ${directCell} | ${x.viaAm.map((n) => `${at(n)} ${n.summary}`).join('<br>') || '—'} |`);
  }
  L.push('');
  return L;
}

/** The sinks' own counters and the Alertmanagers' logs: what explains a notification that never came. */
function sinkSection(sinkStats: SinkStats[], amLogs: { name: string; log: string }[]): string[] {
  const L: string[] = [];
  L.push('## Sink counters at the end', '');
  const sum = (system: OhSystem, sink: 'direct' | 'am', key: keyof SinkCounters): number =>
    sinkStats.filter((x) => x.system === system && !('error' in x.sinks)).reduce((n, x) => n + Number((x.sinks as Record<string, SinkCounters | undefined>)[sink]?.[key] ?? 0), 0);
  L.push('Summed over the processes (`monitor.alerting.stats().sinks`): the webhook\'s sent / failed / dropped, and the alertmanager sink\'s alerts sent / failed / dropped, retries and re-sends.', '');
  L.push('| processes at | processes | webhook sent/failed/dropped | alertmanager sent/failed/dropped | retries | re-sends |', '|---|---:|---|---|---:|---:|');
  for (const system of OH_SYSTEMS) {
    L.push(
      `| ${system} | ${sinkStats.filter((x) => x.system === system).length} | ${sum(system, 'direct', 'sent')}/${sum(system, 'direct', 'failed')}/${sum(system, 'direct', 'dropped')} | ${sum(system, 'am', 'sent')}/${sum(system, 'am', 'failed')}/${sum(system, 'am', 'dropped')} | ${sum(system, 'am', 'retries')} | ${sum(system, 'am', 'resends')} |`,
    );
  }
  const troubled = sinkStats.filter((x) => 'error' in x.sinks || Object.values(x.sinks).some((c: SinkCounters | undefined) => c !== undefined && (c.failed > 0 || c.dropped > 0 || c.lastError !== undefined)));
  L.push('', troubled.length === 0 ? 'No process had a failed or dropped delivery, or an error.' : `Processes with a failure, a drop or an error: ${troubled.map((x) => `${x.process} ${JSON.stringify(x.sinks)}`).join('; ')}`, '');
  for (const { name, log } of amLogs) L.push(`Alertmanager ${name}, its log (level warn): ${log === '' ? 'empty.' : `\n\n\`\`\`\n${log.slice(-3000)}\n\`\`\``}`, '');
  return L;
}

main().catch((err: unknown) => {
  console.error(err);
  killAllChildren();
  cleanupExternal();
  process.exit(1);
});
