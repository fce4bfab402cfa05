/**
 * Everything a process says while a test runs: what is written to process.stdout and
 * process.stderr (console.* included; still passed through, so the runner sees it) and every
 * OpenTelemetry diag message at any level, with its arguments rendered in full (errors with
 * their stacks and causes).
 */
import { inspect } from 'node:util';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';

export interface CapturedOutput {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly diag: string[];
  /** All of it as one string. */
  text(): string;
  /** Put process.stdout/stderr back and remove the diag logger. Idempotent. */
  restore(): void;
}

const render = (arg: unknown): string => (typeof arg === 'string' ? arg : inspect(arg, { depth: 8, breakLength: Infinity }));

export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const diagLines: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const tap = (stream: NodeJS.WriteStream, into: string[], original: typeof process.stdout.write) =>
    function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = tap(process.stdout, stdout, originals.out);
  process.stderr.write = tap(process.stderr, stderr, originals.err);
  const level =
    (name: string) =>
    (message: string, ...args: unknown[]): void =>
      void diagLines.push(`${name} ${[message, ...args].map(render).join(' ')}`);
  const logger: DiagLogger = { error: level('error'), warn: level('warn'), info: level('info'), debug: level('debug'), verbose: level('verbose') };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  let restored = false;
  return {
    stdout,
    stderr,
    diag: diagLines,
    text: () => [...stdout, ...stderr, ...diagLines].join('\n'),
    restore() {
      if (restored) return;
      restored = true;
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      diag.disable();
    },
  };
}
