// Lint: type-aware basics plus the layer rule (cli -> sync -> ops -> store -> core -> errors).
import tseslint from 'typescript-eslint';

const layers = ['errors', 'core', 'store', 'ops', 'sync', 'cli'];
// A file in layer L may import only from layers below it (and its own).
const layerRule = (layer) => {
  const above = layers.slice(layers.indexOf(layer) + 1);
  const patterns = above.map((l) => ({
    group: [`**/${l}/*`, `**/${l}`, `../${l}/*`, `../../${l}/*`],
    message: `layer '${layer}' must not import from '${l}' (layers import downward only: cli -> sync -> ops -> store -> core -> errors)`,
  }));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
};

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
    files: ['src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./*', '../*'], message: 'errors.ts imports nothing from the project' }] }] },
  },
  ...['core', 'store', 'ops', 'sync', 'cli'].map(layerRule),
  {
    // Every command that talks to a remote loads the client: it uses the wire schemas' types only,
    // so zod (~120 ms to load) stays out of it (src/sync/protocol/schemas.ts).
    files: ['src/sync/client/**/*.ts', 'src/sync/protocol/messages.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['zod', '**/protocol/schemas.js', './schemas.js'], allowTypeImports: true, message: 'the client loads no zod: import the wire types with `import type`' }] },
      ],
    },
  },
);
