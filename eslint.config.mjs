// One flat config for the whole workspace. The dependency rules of ARCHITECTURE.md are encoded
// as Nx tags: every project carries one `type:*` and one `scope:*` tag in its package.json,
// and @nx/enforce-module-boundaries refuses an import that breaks them.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Who may import whom, by layer. Apps sit on top; libs never import apps.
//   type:core     libs/raft: nothing of ours
//   type:engine   store engine libs: raft only (and each other)
//   type:model    libs/governance: nothing of ours
//   type:client   libs/sdk: the policy model
//   type:server   server-side libs shared by apps
//   type:testkit  test helpers: only small utilities, and only tests may import them
//   type:util     small dependency-free utilities (free ports) for apps, tools and the testkit
//   type:app      apps and tools: any lib
const layerRules = (allowTestkit) => {
  const tk = allowTestkit ? ['type:testkit'] : [];
  return [
    { sourceTag: 'type:core', onlyDependOnLibsWithTags: [...tk] },
    { sourceTag: 'type:engine', onlyDependOnLibsWithTags: ['type:core', 'type:engine', ...tk] },
    { sourceTag: 'type:model', onlyDependOnLibsWithTags: [...tk] },
    { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:model', 'type:client', ...tk] },
    { sourceTag: 'type:server', onlyDependOnLibsWithTags: ['type:model', 'type:server', ...tk] },
    { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:testkit', 'type:util'] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: [] },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: [
        'type:core',
        'type:engine',
        'type:model',
        'type:client',
        'type:server',
        'type:util',
        ...tk,
      ],
    },
    // The registry talks to its store only through the etcd v3 API, never through store code.
    { sourceTag: 'scope:registry', notDependOnLibsWithTags: ['scope:store'] },
    { sourceTag: 'scope:console', notDependOnLibsWithTags: ['scope:store'] },
    { sourceTag: 'scope:sdk', notDependOnLibsWithTags: ['scope:store', 'scope:registry'] },
  ];
};

const testFiles = ['**/*.spec.ts', '**/*.test.ts', '**/test/**/*.ts'];

export default [
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.next', '**/coverage', '**/.data', '**/out-tsc'],
  },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints: layerRules(false) },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints: layerRules(true) },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
