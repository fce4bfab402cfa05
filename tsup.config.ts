import { defineConfig } from 'tsup';

// ESM and CommonJS builds of the three public entry points (otel-health, otel-health/register,
// otel-health/testing), the OTLP worker (started by path at run time) and the CLI, each with its
// type declarations. Without splitting, each entry bundles its own copy of what it uses: the
// testing entry's ManualScheduler is not the main entry's class, which is fine because the
// monitor takes any Scheduler (an interface), never checks a class.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    register: 'src/register.ts',
    // Test helpers (manual scheduler, stage composition): otel-health/testing.
    testing: 'src/testing.ts',
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
