import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';

const GOLDEN_DIR = join(import.meta.dirname, '../../fixtures/render');

/**
 * Compares rendered text with a golden file. `UPDATE_GOLDEN=1` (and only that) writes the file,
 * for a new golden file or an intended change; the diff then shows up in review. A missing golden
 * file fails the test, locally as in CI: writing it here would compare the output with itself.
 */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  else if (!existsSync(path))
    throw new Error(
      `golden file ${path} is missing; create it by running this test with UPDATE_GOLDEN=1, review it and commit it`,
    );
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
