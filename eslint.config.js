import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'bin/**', 'eslint.config.js', 'bench/*.mjs', 'scripts/*.mjs'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/prefer-literal-enum-member': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/kernel/**', 'src/driver/**', 'src/net/**', 'src/sim/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'chalk', 'cli-table3', 'commander', 'yaml', 'zod', '**/cli/**', '**/report/**', '**/workload/**'] }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random' }, { object: 'Date', property: 'now' }],
    },
  },
  {
    files: ['src/kernel/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['node:*', '**/sim/**', '**/driver/**', '**/net/**', '**/cli/**', '**/report/**', '**/workload/**'] }] },
  },
  {
    files: ['src/driver/**', 'src/net/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['node:*', '**/sim/**', '**/cli/**', '**/report/**', '**/workload/**'] }] },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
