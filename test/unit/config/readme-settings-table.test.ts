import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { replaceSettingsTable } from '../../../src/config/index.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('README.md', () => {
  it('has the settings table generated from the schema (regenerate with `npm run docs:settings`)', () => {
    // GIVEN the committed README
    expect(existsSync(README)).toBe(true);
    const readme = readFileSync(README, 'utf8');
    // WHEN the table between its markers is regenerated
    const regenerated = replaceSettingsTable(readme);
    // THEN the markers exist and nothing changes
    expect(regenerated).toBeDefined();
    expect(regenerated).toBe(readme);
  });
});
