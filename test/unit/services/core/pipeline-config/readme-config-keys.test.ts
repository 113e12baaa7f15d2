import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  replaceConfigKeysTable,
  supportedKeys,
} from '../../../../../src/services/core/pipeline-config/supported-keys.js';

const README = fileURLToPath(new URL('../../../../../README.md', import.meta.url));

describe("README.md's table of supported config keys", () => {
  it("is generated from the parser's key lists (regenerate with GYRE_UPDATE_FIXTURES=1)", () => {
    const readme = readFileSync(README, 'utf8');
    const regenerated = replaceConfigKeysTable(readme);
    expect(regenerated).toBeDefined();
    if (process.env['GYRE_UPDATE_FIXTURES'] === '1' && regenerated !== undefined) writeFileSync(README, regenerated);
    else expect(regenerated).toBe(readme);
  });

  it('leaves out what the parser refuses', () => {
    const keys = Object.fromEntries(supportedKeys().map(({ where, keys }) => [where, keys]));
    expect(keys['top level']).not.toContain('setup');
    expect(keys['top level']).toContain('orbs');
    expect(keys['a job']).toContain('parallelism');
    expect(keys['a job']).toContain('machine');
    expect(keys['a `machine` executor']).toEqual(['image', 'docker_layer_caching']);
    expect(keys['a workflow']).toEqual(['jobs', 'when', 'unless', 'triggers']);
  });
});
