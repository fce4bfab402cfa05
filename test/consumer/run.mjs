#!/usr/bin/env node
// The consumer test (issue 10): otel-health as an app installs it, on each OpenTelemetry JS line.
//
//   node test/consumer/run.mjs [--line 2|3|none|all] [--keep] [--tarball otel-health-x.y.z.tgz]
//
// Packs the tarball from this checkout's dist/ (built beforehand: `npm run build`; CI's `npm test`
// builds), then, each in a fresh app in a temp dir, with npm run under that case's Node version
// (npm prefers versions whose `engines` match the Node it runs under):
//   line 2, line 3  the line's packages from .ci/otel-lines.json (sdk-node included), typescript
//                   and @types/node, plus the tarball. Checks: `npm ls --all` clean with one
//                   version (and one installed copy) of every @opentelemetry/* package, at the
//                   line's versions; the README's "Joining an existing OpenTelemetry SDK" code block
//                   (extracted from README.md) type-checks with tsc --strict, nodenext; compiled
//                   and run behind a real HTTP server driven with errors until a `health.alert`
//                   firing record reaches an OTLP/HTTP receiver through the app's own
//                   LoggerProvider (and otel-health's metrics through the app's export reader),
//                   then exits by itself on SIGTERM; `node --import otel-health/register` (ESM
//                   app) and `node --require otel-health/register` (CommonJS app) start monitoring.
//   none            an app with no OpenTelemetry yet, `npm install <tarball>` only (npm 7+
//                   installs the peers): Node 24 and 22 must get the 3.x line, Node 20 the 2.x
//                   line, one copy of each package, and the register preload must work.
// --tarball tests a given tarball instead of packing this checkout (e.g. a candidate package.json);
// --keep leaves the apps in the temp dir. Prints PASS/FAIL per check and ends with `N passed, N failed`; exits 1 on any failure.
// Uses the npm cache (~/.npm); the registry is needed for packages not cached yet.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedOtelCopies } from '../helpers/otel-copies.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LINES = JSON.parse(readFileSync(join(ROOT, '.ci', 'otel-lines.json'), 'utf8'));
const JOIN_HEADING = '## Joining an existing OpenTelemetry SDK';
/** An app with no OpenTelemetry yet: the Node version npm runs under, and the line it must get. */
// upstreamPins: on the 2.x line the newest patches disagree (sdk-metrics, core, resources 2.12.1
// and sdk-logs 0.223.1 exist, but exporter-metrics-otlp-http and exporter-prometheus stop at
// 0.223.0, which pins 2.12.0), so npm, picking the newest version of each peer, has to nest
// 2.12.0 copies under those two exporters. Such copies are tolerated there, and only where the
// package above them pins exactly that version; nothing may ever sit under otel-health itself.
const NONE_CASES = [
  { node: '24', line: '3' },
  { node: '22', line: '3' },
  { node: '20', line: '2', upstreamPins: true },
];
const RUN_TIMEOUT_MS = 30_000;

// ---- arguments ---------------------------------------------------------------------------------
const args = process.argv.slice(2);
let selected = 'all';
let keep = false;
let givenTarball;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--line') selected = args[++i];
  else if (args[i] === '--tarball') givenTarball = args[++i];
  else if (args[i].startsWith('--line=')) selected = args[i].slice('--line='.length);
  else if (args[i] === '--keep') keep = true;
  else usage(`unknown argument ${args[i]}`);
}
const lineNames = Object.keys(LINES).filter((k) => k !== '//');
if (selected !== 'all' && selected !== 'none' && !lineNames.includes(selected)) usage(`unknown line ${selected}`);

function usage(message) {
  console.error(`${message}\nusage: node test/consumer/run.mjs [--line ${lineNames.join('|')}|none|all] [--keep] [--tarball FILE]`);
  process.exit(2);
}

// ---- reporting ---------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
function pass(name, detail = '') {
  passed++;
  console.log(`PASS ${name}${detail ? ` (${detail})` : ''}`);
}
function fail(name, detail = '') {
  failed++;
  console.log(`FAIL ${name}${detail ? `\n${indent(detail)}` : ''}`);
}
function indent(text) {
  return String(text)
    .trimEnd()
    .split('\n')
    .slice(0, 60)
    .map((l) => `     ${l}`)
    .join('\n');
}
const seconds = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Run one check; a thrown error is its failure. Returns whether it passed. */
async function check(name, fn) {
  const t0 = performance.now();
  try {
    const detail = await fn();
    pass(name, [detail, seconds(t0)].filter(Boolean).join(', '));
    return true;
  } catch (error) {
    fail(name, error instanceof Error ? (error.detail ?? error.message) : String(error));
    return false;
  }
}
function problem(message, detail) {
  const error = new Error(message);
  error.detail = detail === undefined ? message : `${message}\n${detail}`;
  return error;
}

// ---- processes ---------------------------------------------------------------------------------
/** The environment without this process's OTEL_*, NODE_OPTIONS and npm_* (npm run's) variables. */
function cleanEnv(nodeBin, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k === 'NODE_OPTIONS' || k.toLowerCase().startsWith('npm_')) continue;
    env[k] = v;
  }
  // The case's node first on PATH, for npm's lifecycle scripts and `#!/usr/bin/env node` bins.
  env.PATH = `${dirname(nodeBin)}:${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Run to completion; resolves { code, stdout, stderr } (never rejects on exit code). */
function run(cmd, argv, { cwd, env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

const nodeBins = new Map();
/** The path of a `node` binary of this major version: this one, or node@N from the npm registry. */
async function nodeBinary(major) {
  if (nodeBins.has(major)) return nodeBins.get(major);
  let bin;
  if (process.versions.node.split('.')[0] === major) bin = process.execPath;
  else {
    const r = await run('npx', ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], { env: cleanEnv(process.execPath) });
    if (r.code !== 0) throw problem(`cannot get node@${major} through npx`, r.stderr);
    bin = r.stdout.trim();
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  nodeBins.set(major, { bin, version });
  return nodeBins.get(major);
}

/** npm's own CLI script, run by the case's node so that npm picks versions for that Node. */
function npmCli() {
  const candidates = [
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  try {
    candidates.push(join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm', 'bin', 'npm-cli.js'));
  } catch {
    // no npm on PATH: the candidates above, or nothing
  }
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`npm-cli.js not found (looked at ${candidates.join(', ')})`);
  return found;
}

async function npm(node, argv, cwd) {
  return run(node.bin, [npmCli(), ...argv], { cwd, env: cleanEnv(node.bin) });
}

/** A child process with its output captured and a few waits. */
function startChild(bin, argv, { cwd, env }) {
  const child = spawn(bin, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set();
  const notify = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d) => {
    stdout += d;
    notify();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    notify();
  });
  let exit;
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((exit = code ?? signal))));
  exited.then(notify);
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves the first match of `pattern` on stdout; rejects on exit or after timeoutMs. */
    waitStdout(pattern, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
        const test = () => {
          const m = stdout.match(pattern);
          if (m) done(undefined, m);
          else if (exit !== undefined) done(new Error(`exited (${exit}) before ${what}`));
        };
        function done(error, m) {
          clearTimeout(timer);
          waiters.delete(test);
          if (error) reject(error);
          else resolve(m);
        }
        waiters.add(test);
        test();
      });
    },
    /** The exit code (or signal); rejects after timeoutMs. */
    exited(timeoutMs) {
      let timer;
      return Promise.race([
        exited,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still running ${timeoutMs} ms after SIGTERM`)), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    },
    output: () => `stdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr.slice(-3000)}`,
    kill: () => {
      if (exit === undefined) child.kill('SIGKILL');
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** Send `GET /fail` (a 500) one after another until `until` settles; resolves its value. */
async function driveErrors(port, until, timeoutMs, what) {
  let settled = false;
  let sent = 0;
  const outcome = until.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
  outcome.then(() => (settled = true));
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve({ error: new Error(`no ${what} within ${timeoutMs} ms (${sent} error requests sent)`) }), timeoutMs)));
  const load = (async () => {
    while (!settled) {
      await get(port, '/fail').catch(() => undefined);
      sent++;
    }
  })();
  const result = await Promise.race([outcome, timeout]);
  settled = true;
  clearTimeout(timer);
  await load;
  if (result.error) throw result.error;
  return { value: result.value, sent };
}

// ---- the npm tree --------------------------------------------------------------------------------
/** Every @opentelemetry/* package in `npm ls --all --json`, with its versions. */
function lsVersions(tree) {
  const versions = new Map();
  (function walk(node) {
    for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
      if (name.startsWith('@opentelemetry/') && dep.version) {
        if (!versions.has(name)) versions.set(name, new Set());
        versions.get(name).add(dep.version);
      }
      walk(dep);
    }
  })(tree);
  return versions;
}

/**
 * True when `copy` ("2.12.0 at node_modules/@opentelemetry/x/node_modules/…/@opentelemetry/y") is
 * nested inside the subtree of another top-level @opentelemetry/* package, and some package in
 * that subtree depends on exactly that version: the copy is there because of an upstream pin.
 */
function pinnedByParent(appDir, name, copy) {
  const [version, , path] = copy.split(' ');
  const top = /^node_modules\/(@opentelemetry\/[^/]+)\/node_modules\//.exec(path);
  if (top === null) return false;
  const pins = (dir) => {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).dependencies?.[name] === version) return true;
    const modules = join(dir, 'node_modules');
    if (!existsSync(modules)) return false;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const subs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => join(modules, entry, n)) : [join(modules, entry)];
      if (subs.some(pins)) return true;
    }
    return false;
  };
  return pins(join(appDir, 'node_modules', top[1]));
}

/**
 * `npm ls --all --json` reports no problems, and every @opentelemetry/* package has one version
 * there and one directory on disk. `want`: versions some packages must have. Returns the summary.
 */
async function checkTree(node, appDir, want, { upstreamPins = false } = {}) {
  const r = await npm(node, ['ls', '--all', '--json'], appDir);
  let tree;
  try {
    tree = JSON.parse(r.stdout);
  } catch {
    throw problem(`npm ls --all --json printed no JSON (exit ${r.code})`, r.stderr);
  }
  const issues = [];
  if (r.code !== 0 || (tree.problems ?? []).length > 0) issues.push(`npm ls exit ${r.code}: ${(tree.problems ?? []).join('; ') || r.stderr.trim()}`);
  const versions = lsVersions(tree);
  const copies = installedOtelCopies(appDir);
  const nested = [];
  for (const [name, list] of copies) {
    for (const copy of list) if (copy.includes('otel-health/node_modules/')) issues.push(`${name}: a copy under otel-health itself: ${copy}`);
    if (list.length === 1) continue;
    const forced = upstreamPins ? list.filter((copy) => pinnedByParent(appDir, name, copy)) : [];
    if (list.length - forced.length === 1) nested.push(...forced.map((c) => `${name}@${c}`));
    else issues.push(`${name}: ${list.length} copies installed:\n  ${list.join('\n  ')}`);
  }
  if (!upstreamPins) for (const [name, set] of versions) if (set.size !== 1) issues.push(`${name}: ${set.size} versions in npm ls: ${[...set].join(', ')}`);
  for (const [name, version] of Object.entries(want)) {
    const found = [...(versions.get(name) ?? [])];
    if (found.length !== 1 || found[0] !== version) issues.push(`${name}: want ${version}, npm ls has ${found.join(', ') || 'none'}`);
  }
  // The packages otel-health itself uses (its required peers) must be in the tree; the optional
  // ones (the gRPC exporters) only when the app installed them.
  for (const peer of requiredPeers(appDir)) if (!versions.has(peer)) issues.push(`${peer} (a peer of otel-health) is not installed`);
  if (issues.length > 0) throw problem(`npm ls: ${issues.length} problem(s)`, issues.join('\n'));
  if (nested.length > 0) return `none under otel-health; top-level copies one each; nested under an upstream exact pin (not otel-health's doing): ${nested.join(', ')}`;
  return `${versions.size} @opentelemetry/* packages, one copy each: ${[...versions].map(([n, s]) => `${n.slice('@opentelemetry/'.length)}@${[...s][0]}`).join(' ')}`;
}

/** otel-health's peer dependencies as installed in `appDir`, without those marked optional. */
function requiredPeers(appDir) {
  const own = JSON.parse(readFileSync(join(appDir, 'node_modules', 'otel-health', 'package.json'), 'utf8'));
  return Object.keys(own.peerDependencies ?? {}).filter((name) => own.peerDependenciesMeta?.[name]?.optional !== true);
}

// ---- the apps ------------------------------------------------------------------------------------
/** The first ```ts block of the README's "Joining an existing OpenTelemetry SDK" section. */
function readmeJoinBlock() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${JOIN_HEADING}\n`);
  if (start < 0) throw new Error(`README.md has no "${JOIN_HEADING}" section`);
  const rest = readme.slice(start + JOIN_HEADING.length + 2);
  const section = rest.slice(0, rest.search(/\n## /) >= 0 ? rest.search(/\n## /) : rest.length);
  const m = section.match(/```ts\n([\s\S]*?)```/);
  if (!m) throw new Error(`the README's "${JOIN_HEADING}" section has no \`\`\`ts block`);
  return m[1];
}

/** The app's HTTP service around the README's join code: `/fail` answers 500, the rest 200. */
const JOIN_SERVER = `// The service around the README's join example (src/otel.ts, extracted from README.md).
import './otel.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  res.statusCode = req.url === '/fail' ? 500 : 200;
  res.end(res.statusCode === 200 ? 'hello' : 'failed');
});
server.listen(0, '127.0.0.1', () => console.log(\`PORT \${(server.address() as AddressInfo).port}\`));
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
});
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    outDir: 'build',
    rootDir: 'src',
    noEmitOnError: true,
    types: ['node'],
  },
  include: ['src'],
};

/** A plain service for the register preload: `/fail` answers 500; SIGTERM closes it. */
const SERVICE_ESM = `import http from 'node:http';
const server = http.createServer((req, res) => {
  res.statusCode = req.url === '/fail' ? 500 : 200;
  res.end(res.statusCode === 200 ? 'hello' : 'failed');
});
server.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
});
`;
const SERVICE_CJS = SERVICE_ESM.replace("import http from 'node:http';", "const http = require('node:http');");

function writeApp(dir, name, dependencies, devDependencies = {}) {
  mkdirSync(dir, { recursive: true });
  const pkg = { name, version: '1.0.0', private: true, type: 'module', dependencies, devDependencies };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, 'service.mjs'), SERVICE_ESM);
  writeFileSync(join(dir, 'service.cjs'), SERVICE_CJS);
}

/** An OTLP/HTTP JSON receiver: collects the logs and metrics requests it is sent. */
async function startReceiver() {
  const logs = [];
  const metrics = [];
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      // JSON only (the app's exporter-*-otlp-http); NodeSDK's own providers send protobuf.
      if ((req.headers['content-type'] ?? '').includes('json')) {
        try {
          const data = JSON.parse(body);
          if (req.url === '/v1/logs') logs.push(data);
          else if (req.url === '/v1/metrics') metrics.push(data);
        } catch {
          // not ours
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
      waiters.forEach((w) => w());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  function logRecords() {
    return logs.flatMap((d) => (d.resourceLogs ?? []).flatMap((rl) => (rl.scopeLogs ?? []).flatMap((sl) => (sl.logRecords ?? []).map((r) => ({ resource: rl.resource, scope: sl.scope, record: r })))));
  }
  function metricNames() {
    return metrics.flatMap((d) => (d.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => `${sm.scope?.name}:${m.name}`))));
  }
  return {
    port: server.address().port,
    logRecords,
    metricNames,
    /** Resolves the first log record `match` accepts. */
    waitLog(match) {
      return new Promise((resolve) => {
        const test = () => {
          const found = logRecords().find(match);
          if (found) {
            waiters.delete(test);
            resolve(found);
          }
        };
        waiters.add(test);
        test();
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const attr = (record, key) => {
  const a = (record.attributes ?? []).find((x) => x.key === key);
  return a === undefined ? undefined : Object.values(a.value ?? {})[0];
};

/** Type-check and compile the README's join code, run it, drive errors until an alert arrives. */
async function joinExample(label, node, appDir, block) {
  const srcDir = join(appDir, 'src');
  mkdirSync(srcDir, { recursive: true });
  writeFileSync(join(srcDir, 'otel.ts'), block);
  writeFileSync(join(srcDir, 'main.ts'), JOIN_SERVER);
  writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);

  const compiled = await check(`${label}: README join example type-checks (tsc --strict, module/moduleResolution nodenext)`, async () => {
    const tsc = join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(node.bin, [tsc, '-p', 'tsconfig.json'], { cwd: appDir, env: cleanEnv(node.bin) });
    if (r.code !== 0) throw problem(`tsc exit ${r.code}`, `${r.stdout}${r.stderr}`);
    const version = execFileSync(node.bin, [tsc, '--version'], { cwd: appDir, encoding: 'utf8' }).trim();
    return version;
  });
  if (!compiled) return;

  const receiver = await startReceiver();
  const app = startChild(node.bin, ['build/main.js'], {
    cwd: appDir,
    env: cleanEnv(node.bin, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      OTEL_HEALTH_CHECK_INTERVAL: '0.2',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    }),
  });
  try {
    let port;
    const started = await check(`${label}: join example starts (NodeSDK + HealthReader + the app's LoggerProvider)`, async () => {
      port = Number((await app.waitStdout(/PORT (\d+)/, 15_000, 'its PORT line'))[1]);
      const r = await get(port, '/');
      if (r.status !== 200) throw new Error(`GET / answered ${r.status}`);
      return `serving on 127.0.0.1:${port}`;
    });
    if (!started) throw problem('not started', app.output());

    await check(`${label}: a health.alert firing record reaches the app's LoggerProvider (OTLP/HTTP JSON)`, async () => {
      const isAlert = ({ record }) => attr(record, 'health.alert.state') === 'firing';
      const { value, sent } = await driveErrors(port, receiver.waitLog(isAlert), RUN_TIMEOUT_MS, 'health.alert firing record').catch((error) => {
        throw problem(error.message, app.output());
      });
      const { record, scope, resource } = value;
      const service = (resource?.attributes ?? []).find((a) => a.key === 'service.name')?.value?.stringValue;
      const issues = [];
      if (record.eventName !== 'health.alert') issues.push(`eventName ${record.eventName}`);
      if (attr(record, 'health.alert.rule') !== 'error_rate') issues.push(`rule ${attr(record, 'health.alert.rule')}`);
      // No serviceName option in the README block: the name comes from the app's resource.
      const body = typeof record.body === 'object' ? record.body?.stringValue : record.body;
      if (service === undefined || attr(record, 'service.name') !== service || !String(body).startsWith(`${service}:`)) {
        issues.push(`service.name: resource ${service}, record attribute ${attr(record, 'service.name')}, body "${body}"`);
      }
      if (issues.length > 0) throw problem(`unexpected alert record: ${issues.join(', ')}`, JSON.stringify(record));
      return `after ${sent} error requests: eventName ${record.eventName}, scope ${scope?.name}, rule ${attr(record, 'health.alert.rule')}, level ${attr(record, 'health.alert.level')}, severity ${record.severityNumber}, resource service.name ${service}, body "${typeof record.body === 'object' ? record.body.stringValue : record.body}"`;
    });

    await check(`${label}: SIGTERM: the app shuts down and exits by itself, exit code 0`, async () => {
      app.child.kill('SIGTERM');
      const code = await app.exited(15_000).catch((error) => {
        throw problem(error.message, app.output());
      });
      if (code !== 0) throw problem(`exit ${code}`, app.output());
      const stderr = app.stderr().trim();
      return stderr ? `stderr: ${stderr.split('\n').slice(0, 3).join(' | ')}` : 'no stderr';
    });

    await check(`${label}: otel-health's metrics reach the app's export reader (HealthMetricProducer; flushed at shutdown)`, async () => {
      const names = receiver.metricNames();
      if (!names.includes('otel-health:http.server.request.duration')) throw problem('no otel-health:http.server.request.duration in the exported metrics', `got: ${[...new Set(names)].join(', ') || 'no metrics requests'}`);
      return `${new Set(names).size} metric names, e.g. otel-health:http.server.request.duration`;
    });

    await check(`${label}: host metrics (system.cpu.*, system.memory.*) reach the app's export reader through the global MeterProvider NodeSDK registers`, async () => {
      const names = [...new Set(receiver.metricNames())];
      const host = names.filter((n) => /:system\.(cpu|memory)\./.test(n));
      if (host.length === 0) throw problem('no system.cpu.* / system.memory.* in the exported metrics', `got: ${names.join(', ') || 'no metrics requests'}`);
      return host.join(', ');
    });
  } finally {
    app.kill();
    await receiver.close();
  }
}

/** `node --import otel-health/register service.mjs` / `--require … service.cjs` in the app. */
async function registerPreload(label, node, appDir, flag) {
  const file = flag === '--import' ? 'service.mjs' : 'service.cjs';
  await check(`${label}: node ${flag} otel-health/register ${file}: /health answers, an alert prints, SIGTERM exits 0`, async () => {
    const statusPort = await freePort();
    const app = startChild(node.bin, [flag, 'otel-health/register', file], {
      cwd: appDir,
      env: cleanEnv(node.bin, {
        OTEL_SERVICE_NAME: 'consumer-register',
        OTEL_HEALTH_CHECK_INTERVAL: '0.2',
        OTEL_HEALTH_STATUS_PORT: String(statusPort),
      }),
    });
    try {
      const port = Number((await app.waitStdout(/PORT (\d+)/, 15_000, 'the PORT line').catch((e) => Promise.reject(problem(e.message, app.output()))))[1]);
      let health;
      for (const t0 = performance.now(); ; ) {
        // The status server starts with the monitor, asynchronously after the preload.
        health = await get(statusPort, '/health').catch((error) => ({ error }));
        if (!health.error || performance.now() - t0 > 10_000) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (health.error) throw problem(`GET /health on the status port ${statusPort}: ${health.error.message}`, app.output());
      const body = JSON.parse(health.body);
      if (!JSON.stringify(body).includes('consumer-register')) throw problem(`/health answered ${health.status} without the service name`, health.body);
      const { sent } = await driveErrors(port, app.waitStdout(/\[otel-health\] \S+ firing .*/, RUN_TIMEOUT_MS + 1000, 'an alert line'), RUN_TIMEOUT_MS, 'alert line on stdout').catch((error) => {
        throw problem(error.message, app.output());
      });
      const line = app.stdout().match(/\[otel-health\] \S+ firing .*/)[0];
      app.child.kill('SIGTERM');
      const code = await app.exited(15_000).catch((error) => Promise.reject(problem(error.message, app.output())));
      if (code !== 0) throw problem(`exit ${code}`, app.output());
      if (/otel-health/.test(app.stderr())) throw problem('otel-health complained on stderr', app.output());
      return `/health ${health.status} status ${body.status ?? '?'}; after ${sent} errors: "${line.trim()}"`;
    } finally {
      app.kill();
    }
  });
}

// ---- the cases -----------------------------------------------------------------------------------
async function lineCase(name, tarball, work, block) {
  const line = LINES[name];
  const label = `line ${name}`;
  const t0 = performance.now();
  console.log(`\n== ${label}: the app has the ${name}.x packages of .ci/otel-lines.json; node ${line.node} ==`);
  const node = await nodeBinary(line.node);
  const appDir = join(work, `app-line${name}`);
  writeApp(appDir, `consumer-line${name}`, { ...line.packages, 'otel-health': `file:${tarball}` }, { typescript: '~5.9.3', '@types/node': `^${line.node}` });
  const npmVersion = (await npm(node, ['--version'], appDir)).stdout.trim();
  const installed = await check(`${label}: npm install (npm ${npmVersion} under node ${node.version})`, async () => {
    const r = await npm(node, ['install', '--no-audit', '--no-fund'], appDir);
    if (r.code !== 0) throw problem(`npm install exit ${r.code}`, r.stderr);
    return r.stdout.trim().split('\n').pop();
  });
  if (!installed) return;
  await check(`${label}: npm ls --all: one version and one copy of each @opentelemetry/* package, the line's versions`, () => checkTree(node, appDir, line.packages));
  if (block !== undefined) await joinExample(label, node, appDir, block);
  await registerPreload(label, node, appDir, '--import');
  await registerPreload(label, node, appDir, '--require');
  console.log(`== ${label}: ${seconds(t0)} ==`);
}

async function noneCase({ node: major, line: expected, upstreamPins = false }, tarball, work) {
  const label = `no OpenTelemetry yet, node ${major}`;
  const t0 = performance.now();
  console.log(`\n== ${label}: \`npm install otel-health\` (the tarball) only; expect the ${expected}.x line ==`);
  const node = await nodeBinary(major);
  const appDir = join(work, `app-none-node${major}`);
  writeApp(appDir, `consumer-none-node${major}`, {});
  const npmVersion = (await npm(node, ['--version'], appDir)).stdout.trim();
  const installed = await check(`${label}: npm install <tarball> (npm ${npmVersion} under node ${node.version})`, async () => {
    const r = await npm(node, ['install', '--no-audit', '--no-fund', tarball], appDir);
    if (r.code !== 0) throw problem(`npm install exit ${r.code}`, r.stderr);
    return r.stdout.trim().split('\n').pop();
  });
  if (!installed) return;
  // The line npm picked, from the peers otel-health declares: api 1.9 or 1.10, the stable
  // packages' major, the experimental packages' 0.2xx or 0.3xx.
  const family = (name, version) => {
    const [major, minor] = version.split('.').map(Number);
    if (name === '@opentelemetry/api') return `${major}.${minor}`;
    return major === 0 ? `0.${Math.floor(minor / 100)}xx` : `${major}.x`;
  };
  // npm installs the required peers itself, never the optional ones (the gRPC exporters).
  const peers = requiredPeers(appDir);
  const want = Object.fromEntries(peers.filter((p) => LINES[expected].packages[p] !== undefined).map((p) => [p, family(p, LINES[expected].packages[p])]));
  await check(`${label}: npm picked the ${expected}.x line for otel-health's peers (${Object.entries(want).map(([n, f]) => `${n.slice('@opentelemetry/'.length)} ${f}`).join(', ')})`, () => {
    const versions = lsVersions(JSON.parse(execFileSync(node.bin, [npmCli(), 'ls', '--all', '--json'], { cwd: appDir, env: cleanEnv(node.bin), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })));
    const off = Object.entries(want).filter(([n, f]) => [...(versions.get(n) ?? [])].some((v) => family(n, v) !== f) || !versions.has(n));
    if (off.length > 0) throw problem('another line', off.map(([n, f]) => `${n}: want ${f}, got ${[...(versions.get(n) ?? [])].join(', ') || 'none'}`).join('\n'));
    return peers.map((p) => `${p.slice('@opentelemetry/'.length)}@${[...(versions.get(p) ?? [])].join('+')}`).join(' ');
  });
  await check(
    `${label}: npm ls --all: no copy under otel-health, one copy of each @opentelemetry/* package${upstreamPins ? ' but those an upstream exact pin nests' : ''}`,
    () => checkTree(node, appDir, {}, { upstreamPins }),
  );
  await registerPreload(label, node, appDir, '--import');
  await registerPreload(label, node, appDir, '--require');
  console.log(`== ${label}: ${seconds(t0)} ==`);
}

// ---- main ----------------------------------------------------------------------------------------
const t0 = performance.now();
const work = mkdtempSync(join(tmpdir(), 'otel-health-consumer-'));
try {
  const missing = givenTarball !== undefined ? [] : ['index.js', 'index.cjs', 'index.d.ts', 'register.js', 'register.cjs', 'otlp-worker.js'].filter((f) => !existsSync(join(ROOT, 'dist', f)));
  if (missing.length > 0) {
    fail('dist/ is built', `missing ${missing.map((f) => `dist/${f}`).join(', ')}: run \`npm run build\` first (CI's \`npm test\` builds)`);
  } else {
    let tarball = givenTarball === undefined ? undefined : resolve(givenTarball);
    if (tarball !== undefined) {
      if (existsSync(tarball)) pass('the given tarball', tarball);
      else {
        fail('the given tarball', `${tarball} does not exist`);
        tarball = undefined;
      }
    }
    if (givenTarball === undefined) await check('npm pack', async () => {
      const r = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(process.execPath) });
      if (r.code !== 0) throw problem(`npm pack exit ${r.code}`, r.stderr);
      const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
      tarball = join(work, info.filename);
      return `${info.filename}, ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} kB`;
    });
    if (tarball !== undefined) {
      let block;
      await check(`README "${JOIN_HEADING.slice(3)}" has a \`\`\`ts code block`, () => {
        block = readmeJoinBlock();
        return `${block.split('\n').length - 1} lines`;
      });
      for (const name of selected === 'all' ? lineNames : lineNames.filter((n) => n === selected)) await lineCase(name, tarball, work, block);
      if (selected === 'all' || selected === 'none') for (const c of NONE_CASES) await noneCase(c, tarball, work);
    }
  }
} catch (error) {
  fail('consumer test', error?.stack ?? String(error));
} finally {
  if (keep) console.log(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(`\nconsumer test: ${seconds(t0)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
