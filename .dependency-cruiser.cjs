/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser). Top to bottom:
 *   cli, bench (Node front ends; web/ is the browser one)
 *   node       Node-only services: file loading (bundled datasets, CSV streaming), worker threads
 *   job        one whole run as messages (condense, held-out evaluation, report) for a worker
 *   report     the release report (HTML with charts)
 *   condense   the engine
 *   synthesis  other synthesisers (MST), which the engine may use as a starting point
 *   privacy  |  models + metrics   (siblings: neither imports the other)
 *   data       tables, cards, encodings, targets
 *   core       shared algorithms (matrices, RNG, argsort, Fenwick tree, linear solvers, SHA-256)
 * A module may import only from its own layer or below, and there are no cycles.
 */
const layer = (name) => `^src/${name}/`;
const below = {
  core: [],
  data: ['core'],
  privacy: ['data', 'core'],
  models: ['metrics', 'data', 'core'],
  metrics: ['models', 'data', 'core'],
  synthesis: ['privacy', 'models', 'metrics', 'data', 'core'],
  condense: ['synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
  report: ['condense', 'synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
  job: ['report', 'condense', 'synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
  node: ['condense', 'synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
  bench: ['node', 'job', 'report', 'condense', 'synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
  cli: ['node', 'job', 'report', 'condense', 'synthesis', 'privacy', 'models', 'metrics', 'data', 'core'],
};
const layers = Object.keys(below);

module.exports = {
  forbidden: [
    ...layers.map((from) => ({
      name: `layer-${from}`,
      comment: `src/${from} may import only from: ${[from, ...below[from]].join(', ')} (see docs/ARCHITECTURE.md)`,
      severity: 'error',
      from: { path: layer(from) },
      to: { path: '^src/', pathNot: [from, ...below[from]].map(layer).concat('^src/index\\.ts$') },
    })),
    {
      name: 'no-index-inside',
      comment: 'the public entry points (src/index.ts, src/node.ts) are for users, not for src/ itself',
      severity: 'error',
      from: { path: '^src/.+/' },
      to: { path: '^src/(index|node)\\.ts$' },
    },
    {
      name: 'no-command-to-command',
      comment: 'a CLI command does not import another; shared helpers live in src/cli/options.ts',
      severity: 'error',
      from: { path: '^src/cli/commands/' },
      to: { path: '^src/cli/commands/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles (type-only imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
