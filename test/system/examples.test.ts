// Every example in examples/ runs, as its header comment says (`node --import tsx examples/<file>`),
// exits 0 within 30 s and prints what it is there to show. demo.ts runs ~100 s: it is only checked
// structurally (it imports, `npm run demo` runs it, and it shows the anomaly rule on its latency
// spike); test/system/fresh-clone.test.ts runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));
const examplesDir = path.join(root, 'examples');
const TIMEOUT_MS = 30_000;

/** A line each example must print: what it is there to show. */
const EXPECTED: Record<string, RegExp[]> = {
  'http-server.ts': [/^recorded: http\.route=\/users\/:id status=200 count=3$/m, /^health: status=\w+ level=\w+ requests=\d+/m],
  'express.ts': [/^recorded: http\.route=\/users\/:id status=200/m, /^recorded: http\.route=\/api\/orders\/:orderId status=200/m, /^health: /m],
  'fastify.ts': [/^recorded: http\.route=\/users\/:id status=200 count=3$/m, /^recorded: http\.route=\/broken status=500/m, /^health: /m],
  'custom-checks.ts': [/^check database: ok/m, /^check cache: failing .*\(cache not connected\)$/m, /^check queue: failing .*timed out/m],
  'webhook-routing.ts': [/^webhook received: (ERROR|CRITICAL) firing error_rate from webhook-example via route page/m, /^health: status=unhealthy/m],
  'join-sdk.ts': [/^health: \w+ level=\w+ requests=4 /m],
};

const files = readdirSync(examplesDir).filter((f) => f.endsWith('.ts') && f !== 'demo.ts').sort();

test('every example has expectations here and a Run line in its header', () => {
  assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'a new example needs an entry in EXPECTED');
  for (const f of files) {
    const head = readFileSync(path.join(examplesDir, f), 'utf8').slice(0, 2000);
    assert.ok(head.startsWith('/**'), `${f}: header comment`);
    assert.ok(head.includes(`node --import tsx examples/${f}`), `${f}: header names the command that runs it`);
  }
});

function run(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env }; // the examples run a short scripted session and exit by themselves
    delete env.PORT;
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.NODE_TEST_CONTEXT; // the child is not a test file
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

for (const file of files) {
  test(`examples/${file} runs, exits 0 within ${TIMEOUT_MS / 1000} s and prints what it shows`, { timeout: TIMEOUT_MS + 10_000 }, async () => {
    const r = await run(file);
    const context = `\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    assert.equal(r.timedOut, false, `${file} still running after ${TIMEOUT_MS / 1000} s; killed${context}`);
    assert.equal(r.code, 0, `${file} exit code ${r.code} signal ${r.signal}${context}`);
    for (const expected of EXPECTED[file] ?? []) assert.match(r.stdout, expected, `${file} output${context}`);
  });
}

test('examples/demo.ts (not run: ~100 s) imports the package, npm run demo runs it, and it expects the anomaly alert on the spike', () => {
  const demo = readFileSync(path.join(examplesDir, 'demo.ts'), 'utf8');
  assert.match(demo, /from '\.\.\/src\/index\.js'/);
  assert.match(demo, /startHealthMonitoring/);
  // The anomaly rule on p95 response time is on, and its alert is part of the run's end check.
  assert.match(demo, /anomaly: \{ series: \[[^\]]*'response_time'/);
  assert.match(demo, /\['anomaly:response_time', 'firing', 'latency spike'\]/);
  assert.match(demo, /DEMO_STATIC_LATENCY/);
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.demo, 'node --import tsx examples/demo.ts');
});
