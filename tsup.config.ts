import { defineConfig } from 'tsup';

// ESM and CommonJS builds of the two public entry points (and the OTLP worker, which is
// started by path at run time), each with its type declarations.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    register: 'src/register.ts',
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
