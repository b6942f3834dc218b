import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure core (config after reading the text; reconcile's diff, plan and render) does no I/O
// and never reads the clock.
const pureFiles = ['src/config/**/*.ts', 'src/reconcile/**/*.ts'];
const impureInPureFolders = ['src/config/read-stack.ts', 'src/config/read-plugin.ts', 'src/config/find-stack.ts', 'src/reconcile/observe.ts', 'src/reconcile/execute.ts', 'src/reconcile/execute-*.ts'];

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
    files: ['bin/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: pureFiles,
    ignores: impureInPureFolders,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto'], message: 'The core is pure: no I/O here (STYLE.md, rule 1).' },
          { group: ['execa', 'chokidar', 'xstate'], message: 'The core is pure: no processes, watchers or machines here.' },
          { group: ['**/providers/**', '**/cli/**', '**/machines/**', '**/state/**'], message: 'The core does not reach out to I/O modules.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The core is pure: pass what you need in.' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The core never reads the clock.' },
        { object: 'performance', property: 'now', message: 'The core never reads the clock.' },
        { object: 'Math', property: 'random', message: 'The core is deterministic.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The core never reads the clock.' }],
    },
  },
);
