import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layer rule (docs/ARCHITECTURE.md, "The layer rule and why"): the folders of src/, top to
// bottom. The files at the src root (entry points and start-up) sit above them all. A folder
// imports only folders below it, and another folder only through its index.ts; files within a
// folder import each other directly. Tests, benchmarks and examples are outside the rule.
const LAYERS = ['http', 'monitor', 'alerts', 'evaluator', 'history', 'instrumentation', 'otlp', 'rules', 'config', 'model'];

function layerRules() {
  const configs = [
    {
      files: ['src/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: '^\\./[^/]+/(?!index\\.js$)',
                message: 'Import a folder of src/ through its index.ts (./<folder>/index.js).',
              },
            ],
          },
        ],
      },
    },
  ];
  LAYERS.forEach((folder, i) => {
    const above = LAYERS.slice(0, i);
    const below = LAYERS.slice(i + 1);
    const allowed = below.length > 0 ? `only ${below.join(', ')}` : 'nothing of ours';
    // A file n folders deep inside src/<folder>/ reaches src/ with n + 1 `../`.
    for (let depth = 0; depth <= 3; depth++) {
      const up = '\\.\\./'.repeat(depth + 1);
      const dir = ['src', folder, ...Array(depth).fill('*')].join('/');
      const patterns = [
        {
          regex: `^${up}[^/]+\\.[cm]?[jt]s$`,
          message: `Upward import: src/${folder}/ may import ${allowed}, not the entry points at the src root.`,
        },
        {
          regex: `^${up}(?!${folder}/)[^/]+/(?!index\\.js$)`,
          message: `Import another folder through its index.ts (../<folder>/index.js).`,
        },
      ];
      if (above.length > 0) {
        patterns.unshift({
          regex: `^${up}(${above.join('|')})(/|$)`,
          message: `Upward import: src/${folder}/ may import ${allowed} (the layer rule in docs/ARCHITECTURE.md).`,
        });
      }
      configs.push({
        files: [`${dir}/*.ts`, `${dir}/*.mjs`],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      });
    }
  });
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        globalThis: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      // Symbol-keyed properties on node core objects need `as` casts; keep them visible but allowed.
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  ...layerRules(),
);
