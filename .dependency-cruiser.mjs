// The layers of src/ and the one direction imports may take: a folder imports only folders
// ranked below it, never one above or beside it, and no file imports itself round a cycle.
// docs/architecture.md draws the same ranks; `npm test` runs this check (npm run lint:layers).

const ranks = [
  ['model'], ['os'], ['config'], ['load'], ['reconcile'], ['state'], ['providers'], ['engine'],
  ['gitops', 'check'], ['api'], ['cli', 'index'], ['dashboard-ui'],
];

/** A folder of src/ or one of its top files (api.ts, index.ts), captured as $1. */
const modules = (names) => `^src/(${names.join('|')})(/|\\.ts$)`;
const see = 'see docs/architecture.md, "Allowed imports"';

/** Each rank imports only ranks below it: nothing above, nothing beside it but its own folder. */
const upward = ranks.map((names, rank) => ({
  name: `layers-${names.join('-')}`,
  comment: `${names.join(' and ')} (rank ${rank}) may import ${rank ? `only ${ranks.slice(0, rank).flat().join(', ')}` : 'nothing of ours'}; ${see}`,
  severity: 'error',
  from: { path: modules(names) },
  to: { path: modules(ranks.slice(rank).flat()), pathNot: '^src/$1(/|\\.ts$)' },
}));

/**
 * The CLI is thin: it parses options, calls the library and renders. Below api it may import only
 * the pure core (model, config, reconcile: types, errors, option units, renderers); the state,
 * the lock, processes, providers and git are reached through api.ts and src/api/.
 */
const thinCli = {
  name: 'thin-cli',
  comment: `cli may import only api.ts, src/api/ and the pure core (model, config, reconcile); reach state, processes, providers and git through api; ${see}`,
  severity: 'error',
  from: { path: modules(['cli']) },
  to: { path: '^src/', pathNot: modules(['cli', 'api', 'model', 'config', 'reconcile']) },
};

/**
 * The dashboard's page runs in a browser: besides its own folder it imports only what is pure
 * and needs no Node (the model's and reconcile's types and text, the API's wire types, the
 * dashboard's body types, and `stack top`'s moves), so the bundle holds none of the CLI.
 */
const browserUi = {
  name: 'browser-ui',
  comment: `dashboard-ui runs in the browser: it may import only model, reconcile, src/api/protocol.ts, src/api/dashboard/protocol.ts and src/cli/top/moves.ts; ${see}`,
  severity: 'error',
  from: { path: modules(['dashboard-ui']) },
  to: { path: '^src/', pathNot: [modules(['dashboard-ui', 'model', 'reconcile']), '^src/api/protocol\\.ts$', '^src/api/dashboard/protocol\\.ts$', '^src/cli/top/moves\\.ts$'] },
};

/** The dashboard's contract is one file of types, shared by its server and its page: nothing of the server comes with it. */
const dashboardContract = {
  name: 'dashboard-contract',
  comment: `src/api/dashboard/protocol.ts holds the dashboard's body types: it imports types only, and only from src/api/protocol.ts; ${see}`,
  severity: 'error',
  from: { path: '^src/api/dashboard/protocol\\.ts$' },
  to: { pathNot: '^src/api/protocol\\.ts$' },
};

/** The page takes the dashboard's contract as types only: nothing of it is in the bundle. */
const dashboardTypesOnly = {
  name: 'dashboard-types-only',
  comment: `dashboard-ui imports src/api/dashboard/protocol.ts with \`import type\` only; ${see}`,
  severity: 'error',
  from: { path: modules(['dashboard-ui']) },
  to: { path: '^src/api/dashboard/protocol\\.ts$', dependencyTypesNot: ['type-only'] },
};

export default {
  forbidden: [
    ...upward,
    thinCli,
    browserUi,
    dashboardContract,
    dashboardTypesOnly,
    {
      name: 'no-circular',
      comment: `an import cycle: move what both sides need into a small file below them; ${see}`,
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unranked-folder',
      comment: `every file of src/ lives in a ranked folder: give a new folder its rank here and in ${see.slice(4)}`,
      severity: 'error',
      from: { path: '^src/', pathNot: modules(ranks.flat()) },
      to: {},
    },
    {
      name: 'no-tests-from-src',
      comment: `src/ does not import tests/, bench/ or scripts/; ${see}`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tests|bench|scripts)/' },
    },
  ],
  options: {
    // Type-only imports count: a cycle through types is still a cycle between the files.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^(src|tests|bench|scripts)/',
  },
};
