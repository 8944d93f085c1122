// Lint rules that keep the layers honest: imports point down only (docs/ARCHITECTURE.md),
// and the deterministic core never reads the clock, randomness or timers.
import tseslint from 'typescript-eslint';

const layers = {
  resp: [],
  raft: [],
  engine: [],
  commands: ['engine'],
  persist: ['engine'],
  sim: ['raft'],
  replica: ['raft', 'persist', 'engine'],
  cluster: ['replica', 'raft', 'persist', 'engine'],
  server: ['commands', 'persist', 'replica', 'cluster', 'engine', 'resp', 'raft'],
  admin: ['server', 'commands', 'persist', 'replica', 'cluster', 'engine', 'resp', 'raft'],
  embedded: ['commands', 'engine', 'persist', 'resp'],
};
const allLayers = Object.keys(layers).concat(['cli']);

const layerRules = Object.entries(layers).map(([layer, allowed]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: allLayers
          .filter((other) => other !== layer && !allowed.includes(other))
          .map((other) => ({
            group: [`../${other}/*`, `../../${other}/*`, `../${other}`, `../../${other}`],
            message: `src/${layer} may not import src/${other} (layers import downward only).`,
          })),
      },
    ],
  },
}));

const deterministic = {
  files: ['src/engine/**/*.ts', 'src/raft/**/*.ts'],
  rules: {
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: 'The deterministic core takes time as input.' },
      {
        object: 'Math',
        property: 'random',
        message: 'The deterministic core takes randomness as input.',
      },
      {
        object: 'performance',
        property: 'now',
        message: 'The deterministic core takes time as input.',
      },
    ],
    'no-restricted-globals': [
      'error',
      ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process'].map((name) => ({
        name,
        message: 'The deterministic core has no timers and no process access.',
      })),
    ],
    'no-restricted-syntax': [
      'error',
      {
        selector: "NewExpression[callee.name='Date'][arguments.length=0]",
        message: 'No clock reads in the deterministic core.',
      },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'bin/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
  deterministic,
);
