import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// machines/ is the pure core: no I/O, no clock, no randomness, no src/ (DESIGN §2). Example
// custom types keep the same rule for their machine files (docs/custom-types.md).
const purityFence = {
  files: ['machines/**/*.ts', 'examples/**/*.machine.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        { group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'worker_threads'], message: 'machines/ must stay pure: no Node I/O.' },
        { group: ['kafkajs', 'pino', 'express', '@grpc/*', 'undici', 'better-sqlite3'], message: 'machines/ must stay pure: no I/O libraries.' },
        { group: ['../src/*', '../../src/*', '**/src/**'], message: 'Only src -> machines is allowed, never machines -> src.' },
      ],
    }],
    'no-restricted-properties': ['error',
      { object: 'Date', property: 'now', message: 'Time enters machines as event data (at).' },
      { object: 'Math', property: 'random', message: 'Machines are deterministic.' },
    ],
    'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'fetch'],
    'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'No wall clock in machines.' }],
  },
};

// Tests, benchmarks and the product stay apart (DESIGN §8): no test imports benchmark code, and
// src/ imports neither (the benchmarks may use test/support helpers, the programs in scripts/).
const layerFences = [
  {
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/bench/**'], message: 'Tests never import benchmark code (bench/).' }] }] },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/bench/**', '**/test/**', '**/scripts/**'], message: 'src/ is the product: it imports no benchmark, test or script code.' }] }] },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', '**/dist/**', 'client/docs/api/**', 'node_modules/**', 'test/interop/go/**', '**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
    linterOptions: { reportUnusedDisableDirectives: true },
  },
  purityFence,
  ...layerFences,
);
