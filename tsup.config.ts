import { defineConfig } from 'tsup';

// ESM and CommonJS builds of the two public entry points (and the OTLP worker, which is
// started by path at run time), each with its type declarations.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    register: 'src/register.ts',
    // Started with new Worker() by src/otlp/worker-host.ts, which looks for it next to the
    // bundle it is part of (dist/otlp-worker.js for dist/index.js, .cjs for .cjs).
    'otlp-worker': 'src/otlp/otlp-worker.ts',
    // The `otel-health` command (package.json "bin"); esbuild keeps its #! line.
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  shims: true,
  splitting: false,
});
