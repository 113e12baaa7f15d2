// Lint rules that encode the architecture (../shared/ARCHITECTURE.md): the builder and the
// services app never import each other, the orchestrator imports neither, and the protocol
// and config layers stay free of I/O. Only entry points (src/cli.ts, src/cli/, src/index.ts)
// wire concrete parts together.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import jest from 'eslint-plugin-jest';

const ioModules = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'dockerode',
  'pg',
  'docker-compose',
  'fastify',
];

/** Zones for import-x/no-restricted-paths: `target` may not import from `from`. */
const boundaries = [
  {
    target: './src/builder',
    from: './src/services',
    message: 'The builder talks to services only through src/protocol.',
  },
  {
    target: './src/services',
    from: './src/builder',
    message: 'The services app talks to builders only through src/protocol.',
  },
  {
    target: './src/orchestrator',
    from: ['./src/services', './src/builder'],
    message: 'The orchestrator drives Gyre through Docker, Compose and the HTTP API, never its internals.',
  },
  {
    target: './src/protocol',
    from: ['./src/services', './src/builder', './src/orchestrator', './src/docker', './src/render'],
    message: 'The protocol is a contract shared by both sides; it imports neither.',
  },
  {
    target: './src/config',
    from: ['./src/services', './src/builder', './src/orchestrator', './src/docker', './src/render'],
    message: 'Settings are parsed and validated without knowing who uses them.',
  },
  {
    target: './src/render',
    from: ['./src/services', './src/builder', './src/orchestrator', './src/docker'],
    message: 'Rendering is a pure function of Settings.',
  },
  {
    target: './src/testing',
    from: ['./src/services', './src/builder'],
    message: 'The testing module drives Gyre as a user would: through Docker, Compose and the HTTP API.',
  },
  {
    target: './src/services',
    from: './src/docker',
    message: 'The services app never drives Docker; builders and the orchestrator do.',
  },
  // Inside the services app: cores < stores < HTTP toolkit < feature routes < the wiring at its root.
  {
    target: './src/services/core',
    from: [
      './src/services/stores',
      './src/services/database',
      './src/services/git',
      './src/services/http',
      './src/services/features',
      './src/services/start-services.ts',
      './src/services/create-service-parts.ts',
    ],
    message: 'Services cores are pure: data in, data out. Stores and routes call them, never the other way.',
  },
  {
    target: './src/services/stores',
    from: [
      './src/services/features',
      './src/services/http',
      './src/services/git',
      './src/services/start-services.ts',
      './src/services/create-service-parts.ts',
    ],
    message: 'Stores own tables; they know nothing of routes, HTTP or git.',
  },
  {
    target: './src/services/database',
    from: [
      './src/services/core',
      './src/services/stores',
      './src/services/features',
      './src/services/http',
      './src/services/git',
      './src/services/start-services.ts',
      './src/services/create-service-parts.ts',
    ],
    message: 'The database layer (pool, migrations, notifications) sits below the stores.',
  },
  {
    target: './src/services/http',
    from: [
      './src/services/features',
      './src/services/git',
      './src/services/start-services.ts',
      './src/services/create-service-parts.ts',
    ],
    message: 'The HTTP toolkit sits below the feature routes.',
  },
  {
    target: './src/services/git',
    from: [
      './src/services/stores',
      './src/services/features',
      './src/services/http',
      './src/services/database',
      './src/services/start-services.ts',
      './src/services/create-service-parts.ts',
    ],
    message: 'The git mirror is a leaf: it reads repositories and knows nothing of the rest.',
  },
  {
    target: './src/services/features',
    from: ['./src/services/start-services.ts', './src/services/create-service-parts.ts'],
    message: 'Feature routes do not reach into the wiring at the services root; take what you need as an argument.',
  },
  {
    target: './src/client',
    from: [
      './src/services',
      './src/builder',
      './src/orchestrator',
      './src/docker',
      './src/render',
      './src/testing',
      './src/cli',
    ],
    message: 'The API client speaks the public contract (src/api) over HTTP, nothing else.',
  },
  {
    target: './src/api',
    from: ['./src/services', './src/builder', './src/orchestrator', './src/docker', './src/render', './src/testing'],
    message: 'The public API contract is data: schemas shared by the server and its clients.',
  },
  {
    target: './src/shared',
    from: [
      './src/services',
      './src/builder',
      './src/orchestrator',
      './src/docker',
      './src/render',
      './src/config',
      './src/protocol',
    ],
    message: 'src/shared holds leaf utilities only.',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'dist-check/', 'coverage/', 'node_modules/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // src/*/__lint_probe__.ts, test/__lint_probe__.test.ts: virtual files through which test/unit/architecture proves these rules fire.
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            '*.js',
            'src/*/__lint_probe__.ts',
            'src/services/*/__lint_probe__.ts',
            'test/__lint_probe__.test.ts',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      'import-x/no-default-export': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: [
      'src/protocol/**/*.ts',
      'src/api/**/*.ts',
      'src/config/**/*.ts',
      'src/render/**/*.ts',
      'src/services/core/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'This layer does no I/O; take the data as an argument.' })),
        },
      ],
    },
  },
  {
    files: ['*.config.js', 'eslint.config.js', 'jest.config.js'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    // The web UI's one browser script: plain JS served as-is, outside the TypeScript project.
    files: ['templates/web/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
      parserOptions: { projectService: false, project: null },
    },
    // The log view parses ANSI escape sequences, which start with the ESC control character.
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-control-regex': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    plugins: { jest },
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      // A focused or skipped test silently drops the others from a green run.
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
    },
  },
);
