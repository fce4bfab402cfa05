/**
 * Child processes of the harness: forked with tsx and an IPC channel, their output kept (a bounded
 * tail, shown when something fails), every message wait bounded in time, and every child killed when
 * the harness exits, also on errors and signals (no orphans). The children also exit on their own
 * when the IPC channel closes, which covers a harness killed with SIGKILL.
 */
import { fork, type ChildProcess } from 'node:child_process';

const TAIL_BYTES = 4000;
const live = new Set<Child>();

export class Child {
  readonly proc: ChildProcess;
  private tail = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitWaiters = new Set<() => void>();

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.proc = fork(script, args, {
      cwd: options.cwd,
      env: options.env,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(this);
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    // A child that exits closes the channel; a send racing with it must not crash the harness.
    this.proc.on('error', (err) => keep(Buffer.from(`\n[${name}] ${err.message}\n`)));
    this.proc.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      live.delete(this);
      for (const waiter of this.exitWaiters) waiter();
    });
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The last few KB the child wrote to stdout and stderr. */
  output(): string {
    return this.tail.trim();
  }

  private describeExit(): string {
    const info = this.exitInfo;
    if (!info) return '';
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`;
    const out = this.output();
    return `${this.name} exited (${how})${out ? `; its output ends with:\n${out}` : ''}`;
  }

  send(msg: unknown): void {
    if (this.proc.connected) this.proc.send(msg as object);
  }

  /**
   * Resolves with the first message `pick` maps to a value; rejects when `pick` throws, when the
   * child exits first, or when `timeoutMs` passes.
   */
  waitFor<T>(pick: (msg: unknown) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.proc.off('message', onMessage);
        this.exitWaiters.delete(onExit);
      };
      const onMessage = (msg: unknown): void => {
        let value: T | undefined;
        try {
          value = pick(msg);
        } catch (err) {
          // `pick` throws to turn an error message from the child into a rejection.
          cleanup();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${what}: ${this.describeExit()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what}: no answer from ${this.name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.proc.on('message', onMessage);
      this.exitWaiters.add(onExit);
      if (this.exited) onExit();
    });
  }

  /** Waits up to `timeoutMs` for the child to exit, then kills it. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.exited) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.exitWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.exitWaiters.add(done);
      });
    }
    this.kill();
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
    if (this.proc.connected) this.proc.disconnect();
  }
}

/** Kills every child still running. Synchronous, so it can run in an 'exit' handler. */
export function killAllChildren(): void {
  for (const child of live) child.kill();
}

let installed = false;

/** Kill the children whenever this process exits: normally, on an error, or on a signal. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllChildren();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    killAllChildren();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error(err);
    killAllChildren();
    process.exit(1);
  });
}
