/**
 * The other long reliability cases: every bench/reliability/cases/*.ts is a standalone script
 * that prints a markdown section and exits non-zero when one of its assertions fails. They run
 * one after another as child processes (`node --import tsx <file>`), each bounded in time; a case
 * that exits non-zero, is killed by a signal or runs out of time has failed.
 *
 * With `short`, the cases get RELIABILITY_SHORT=1 in their environment (a case may honour it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface CaseResult {
  file: string;
  command: string;
  pass: boolean;
  /** `code 0`, `signal SIGKILL`, `timed out after … s`, or the spawn error. */
  exit: string;
  seconds: number;
  /** Everything the case printed on stdout (bounded), its markdown. */
  stdout: string;
  /** The end of its stderr. */
  stderrTail: string;
}

const MAX_STDOUT = 1 << 20;
const STDERR_TAIL = 4000;

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

/** A case still running when the harness exits is killed with it. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export function listCases(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function runCase(file: string, options: { cwd: string; timeoutS: number; short: boolean; echo?: (chunk: string) => void }): Promise<CaseResult> {
  installCleanup();
  const command = `node --import tsx ${path.relative(options.cwd, file)}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.short) env.RELIABILITY_SHORT = '1';
  else delete env.RELIABILITY_SHORT;
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutS * 1000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_STDOUT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.echo?.(text);
      stderr = (stderr + text).slice(-STDERR_TAIL);
    });
    const finish = (exit: string, pass: boolean): void => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ file, command, pass, exit, seconds: (performance.now() - started) / 1000, stdout: stdout.slice(0, MAX_STDOUT), stderrTail: stderr.trim() });
    };
    child.on('error', (err) => finish(`could not start: ${err.message}`, false));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`timed out after ${options.timeoutS} s`, false);
      else finish(signal ? `signal ${signal}` : `code ${code}`, code === 0);
    });
  });
}
