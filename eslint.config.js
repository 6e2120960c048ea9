import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The admission engine, the CEL key code and the API types must stay pure (no I/O, no
// clock, no client), so that they can be tested exhaustively.
const pureModules = ['src/engine/**/*.ts', 'src/keys/**/*.ts', 'src/api/**/*.ts'];
const impureImports = [
  { name: '@kubernetes/client-node', message: 'Pure code must not talk to Kubernetes; do it in src/kubernetes.' },
  { name: 'pino', message: 'Pure code must not log; return a value and let the caller log it.' },
  { name: 'prom-client', message: 'Pure code must not record metrics; src/telemetry does.' },
  ...['fs', 'fs/promises', 'net', 'http', 'https', 'child_process', 'worker_threads', 'dgram', 'dns', 'timers', 'timers/promises']
    .flatMap((m) => [m, `node:${m}`])
    .map((name) => ({ name, message: 'Pure code must not do I/O.' })),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cluster/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: pureModules,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: impureImports,
          patterns: [
            { group: ['**/kubernetes/**', '**/telemetry/**', '**/controller/**'], message: 'Pure code may only import downward (api, keys, engine).' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Pure code takes time as an argument.' },
        { name: 'setTimeout', message: 'Pure code does not schedule.' },
        { name: 'setInterval', message: 'Pure code does not schedule.' },
        { name: 'fetch', message: 'Pure code does not do I/O.' },
        { name: 'process', message: 'Pure code does not read the environment.' },
        { name: 'performance', message: 'Pure code takes time as an argument.' },
      ],
    },
  },
);
