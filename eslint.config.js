// Lint: type-aware basics. The import rules (layers, cycles, a pure core) live in
// .dependency-cruiser.cjs, which checks resolved paths rather than import strings.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Every command that talks to a remote loads the client: it uses the wire schemas' types only,
    // so zod (~120 ms to load) stays out of it (src/sync/protocol/schemas.ts).
    files: ['src/sync/client/**/*.ts', 'src/sync/protocol/messages.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['zod', '**/protocol/schemas.js', './schemas.js'],
              allowTypeImports: true,
              message: 'the client loads no zod: import the wire types with `import type`',
            },
          ],
        },
      ],
    },
  },
);
