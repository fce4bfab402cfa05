/**
 * Memory readings for the benchmarks' memory children (run with `node --expose-gc`): heap and
 * array buffers after full collections, so what a structure holds is what is left.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface MemoryReading {
  heap: number;
  arrays: number;
}

/** Four full collections (weak references and finalizers settle); throws without --expose-gc. */
export function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('the memory child needs node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
}

/** Heap used and array buffers now. */
export function memoryUsed(): MemoryReading {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrays: m.arrayBuffers };
}

export function totalBytes(m: MemoryReading): number {
  return m.heap + m.arrays;
}

/**
 * Run `moduleUrl` again in a child process with `--expose-gc` and `--memory-child` (its memory
 * part, away from the parent's heap) and parse the JSON it prints.
 */
export function runMemoryChild<T>(moduleUrl: string): T {
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(moduleUrl), '--memory-child'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`memory child failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout) as T;
}
