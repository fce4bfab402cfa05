/**
 * Memory readings for the benchmarks' memory children (run with `node --expose-gc`): heap and
 * array buffers after full collections, so what a structure holds is what is left.
 */

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
