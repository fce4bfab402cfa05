/**
 * The README's first commands, as a new user meets them: take the two commands of the README's
 * first shell block and run the first (set up and run the demo) in a fresh `git clone` of this
 * repository's committed HEAD, with no node_modules. The second must be the test command; it is
 * not run here (it is what CI itself runs).
 *
 * Slow (an `npm ci` from the registry, then the demo with DEMO_PHASE_SECONDS=5: about 65 s of
 * demo, its steady phase never shorter than 45 s so the anomaly rules learn): not part of
 * `npm test`. Run it on its own:
 *
 *   node --import tsx --test --test-reporter=spec test/system/fresh-clone.test.ts
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The commands of the first ```sh block: one per line, trailing `# comments` dropped. */
function firstShellCommands(readme: string): string[] {
  const block = /```(?:sh|bash|shell)\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has a shell block');
  return block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** The environment without the runner's OTEL_* settings, so the demo runs as on a fresh shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && !k.startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a shell command line; resolves with its exit code and combined output. */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      // The whole process group: npm, node and the demo's load generator.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("the README's first commands on a fresh clone", () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-health-fresh-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the first sets up and runs the demo, which exits 0; the second runs the tests', async () => {
    const clone = join(dir, 'repo');
    await promisify(execFile)('git', ['clone', '--quiet', ROOT, clone]);
    assert.equal(existsSync(join(clone, 'node_modules')), false, 'a fresh clone has nothing installed');

    const commands = firstShellCommands(readFileSync(join(clone, 'README.md'), 'utf8'));
    assert.equal(commands.length, 2, `two commands at the top of the README: ${JSON.stringify(commands)}`);
    const [setUpAndDemo, tests] = commands as [string, string];
    assert.equal(tests, 'npm test', 'the second command runs the tests');
    const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.ok(pkg.scripts.test, 'package.json has a test script');

    const started = performance.now();
    const { code, output } = await sh(setUpAndDemo, clone, cleanEnv({ DEMO_PHASE_SECONDS: '5' }), 10 * 60_000);
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    const tail = output.split('\n').slice(-25).join('\n');
    assert.equal(code, 0, `\`${setUpAndDemo}\` exits 0 on a fresh clone (${seconds} s); its output ends:\n${tail}`);
    assert.match(
      output,
      /as expected: the spike fired response_time and anomaly:response_time, the burst fired error_rate, all resolved, no anomaly alert in the steady phase/,
    );
  });
});
