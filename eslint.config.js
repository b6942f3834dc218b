import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure core (the model; config from text to a validated stack; reconcile's diff, plan and
// render) does no I/O and never reads the clock, with no file exempt: what reads stack.yaml from
// disk lives in src/load, above it (docs/architecture.md, "The pure core").
const pureFiles = ['src/model/**/*.ts', 'src/config/**/*.ts', 'src/reconcile/**/*.ts'];

// tsconfig.json has the DOM's types for the dashboard's page (src/dashboard-ui); the rest of src/ runs in Node.
const browserOnly = ['window', 'document', 'location', 'navigator', 'localStorage', 'history']
  .map((name) => ({ name, message: 'Only the dashboard\'s page (src/dashboard-ui) runs in a browser.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**', 'tests/fixtures/**', 'bench/peers/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The launcher is CommonJS: Node loads it without starting its ES module loader (~20 ms).
    // So is the bench's bare API client, the floor the fast `status` is compared with.
    files: ['bin/*.cjs', 'bench/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/dashboard-ui/**'],
    rules: {
      'no-restricted-globals': ['error', ...browserOnly],
    },
  },
  {
    files: pureFiles,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto'], message: 'The core is pure: no I/O here (docs/architecture.md, "The pure core").' },
          { group: ['execa', 'chokidar', 'xstate'], message: 'The core is pure: no processes, watchers or machines here.' },
          { group: ['**/os/**', '**/load/**', '**/state/**', '**/providers/**', '**/engine/**', '**/cli/**'], message: 'The core does not reach out to I/O modules.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The core is pure: pass what you need in.' }, ...browserOnly],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The core never reads the clock.' },
        { object: 'performance', property: 'now', message: 'The core never reads the clock.' },
        { object: 'Math', property: 'random', message: 'The core is deterministic.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The core never reads the clock.' }],
    },
  },
  {
    // The engine reads time only through the Clock it is given (src/model/clock.ts), so tests
    // can set it; the real one is src/os/clock.ts.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The engine reads time through its injected Clock.' },
        { object: 'performance', property: 'now', message: 'The engine reads time through its injected Clock.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The engine reads time through its injected Clock.' }],
    },
  },
  {
    // The dashboard's page runs in a browser (docs/architecture.md): nothing of Node.
    files: ['src/dashboard-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto', 'net', 'http', 'picocolors', 'string-width', 'execa', 'chokidar', 'xstate', 'zod', 'yaml'], message: 'The dashboard\'s page runs in a browser: no Node modules, nothing of the CLI\'s (docs/architecture.md).' }],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'The dashboard\'s page runs in a browser.' },
        { name: 'Buffer', message: 'The dashboard\'s page runs in a browser.' },
      ],
    },
  },
);
