import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { packageRoot } from '../../../src/shared/package-files.js';

// The architecture's boundaries are lint rules; these cases prove the rules really fire, so a
// config change that silently disables them fails here.
const eslint = new ESLint({ cwd: packageRoot });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${packageRoot}${filePath}` });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import-x/no-restricted-paths' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    [
      'src/builder/__lint_probe__.ts',
      "export { startServices } from '../services/start-services.js';",
      /only through src\/protocol/,
    ],
    [
      'src/services/__lint_probe__.ts',
      "export { runJob } from '../builder/runner/index.js';",
      /only through src\/protocol/,
    ],
    [
      'src/orchestrator/__lint_probe__.ts',
      "export { runJob } from '../builder/runner/index.js';",
      /never its internals/,
    ],
    [
      'src/orchestrator/__lint_probe__.ts',
      "export { startServices } from '../services/start-services.js';",
      /never its internals/,
    ],
    ['src/config/__lint_probe__.ts', "export { readFileSync } from 'node:fs';", /does no I\/O/],
    [
      'src/services/core/__lint_probe__.ts',
      "export { createDatabasePool } from '../database/create-pool.js';",
      /Services cores are pure/,
    ],
    ['src/services/core/__lint_probe__.ts', "export { default } from 'pg';", /does no I\/O/],
    [
      'src/services/stores/__lint_probe__.ts',
      "export { registerPipelineRoutes } from '../features/pipelines/pipeline-routes.js';",
      /know nothing of routes/,
    ],
    [
      'src/services/http/__lint_probe__.ts',
      "export { registerProjectRoutes } from '../features/projects/project-routes.js';",
      /below the feature routes/,
    ],
    [
      'src/services/__lint_probe__.ts',
      "export { createDockerClient } from '../docker/index.js';",
      /never drives Docker/,
    ],
    ['src/render/__lint_probe__.ts', "export { default } from 'dockerode';", /does no I\/O/],
  ])(
    'refuses %s importing across a boundary: %s',
    async (file, code, message) => {
      expect(await boundaryErrors(file, code)).toEqual([expect.stringMatching(message)]);
    },
    60_000,
  );

  it('allows the builder to import its own modules', async () => {
    expect(
      await boundaryErrors('src/builder/__lint_probe__.ts', "export { runJob } from './runner/index.js';"),
    ).toEqual([]);
  }, 60_000);
});
