import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { packageRoot } from '../../../src/shared/package-files.js';

// A focused or skipped test leaves the rest of a green run unchecked; lint refuses both. These
// cases prove the rules fire on a test file, so a config change that drops them fails here.
const eslint = new ESLint({ cwd: packageRoot });

async function ruleErrors(code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath: `${packageRoot}test/__lint_probe__.test.ts` });
  return (result?.messages ?? []).filter((m) => m.ruleId?.startsWith('jest/')).map((m) => m.ruleId);
}

const header = "import { describe, expect, it } from '@jest/globals';\n";

describe('lint rules for tests', () => {
  it.each([
    ['a focused test', "it.only('runs alone', () => expect(1).toBe(1));", 'jest/no-focused-tests'],
    ['a focused suite', "describe.only('alone', () => it('x', () => expect(1).toBe(1)));", 'jest/no-focused-tests'],
    ['a skipped test', "it.skip('never runs', () => expect(1).toBe(1));", 'jest/no-disabled-tests'],
    ['a skipped suite', "describe.skip('never', () => it('x', () => expect(1).toBe(1)));", 'jest/no-disabled-tests'],
  ])(
    'refuses %s',
    async (_what, code, rule) => {
      expect(await ruleErrors(header + code)).toEqual([rule]);
    },
    60_000,
  );

  it('accepts a plain test', async () => {
    expect(await ruleErrors(header + "it('runs', () => expect(1).toBe(1));")).toEqual([]);
  }, 60_000);
});
