// The house rules for imports, checked by `npm run structure` (part of `npm test`):
//  - no import cycles, type-only imports included (tsPreCompilationDeps keeps `import type`);
//  - layers import downward only: cli -> sync -> ops -> store -> core -> errors, at any depth of
//    sub-folder (rules match resolved paths, not import strings, so `../../x` cannot slip past);
//  - src/core is pure computation: it reaches nothing outside itself and errors.ts except the
//    listed computation-only built-ins, so it can run anywhere (worker, server, browser) and be
//    property-tested without a file system.
// test/structure/structure.test.ts proves each rule fires on a planted violation.
const layers = ['errors', 'core', 'store', 'ops', 'sync', 'cli'];
const dir = (l) => (l === 'errors' ? '^src/errors\\.ts$' : `^src/${l}/`);

const layerRules = layers.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `'${layer}' must not import from a layer above it (${layers.slice(i + 1).join(', ')}): layers import downward only`,
  severity: 'error',
  from: { path: dir(layer) },
  to: { path: layers.slice(i + 1).map(dir) },
}));

/** Built-ins that compute and touch nothing outside the process. */
const pureBuiltins = ['crypto', 'zlib', 'buffer', 'util', 'string_decoder'];

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'import cycles (type-only included) make load order and layering fragile: move the shared piece down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'errors-imports-nothing',
      comment: 'src/errors.ts is the bottom of the house: it imports nothing from the project',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'core-is-pure',
      comment: `src/core imports only core, errors.ts and the pure built-ins (${pureBuiltins.join(', ')}): no fs, net, http, child_process, worker_threads, databases or other packages`,
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^src/errors\\.ts$', `^(node:)?(${pureBuiltins.join('|')})$`] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve is a typo or a missing dependency',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
