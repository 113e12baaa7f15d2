import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';

const GOLDEN_DIR = join(import.meta.dirname, '../../fixtures/render');

/**
 * Compares rendered text with a golden file. `UPDATE_GOLDEN=1` rewrites the file instead, for
 * an intended change; the diff then shows up in review.
 */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    if (process.env['CI'] === 'true')
      throw new Error(`golden file ${path} is missing; render it locally with UPDATE_GOLDEN=1 and commit it`);
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
