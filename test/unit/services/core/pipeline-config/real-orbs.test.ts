import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOrbSource } from '../../../../../src/cli/read-orb-source.js';
import { packOrb } from '../../../../../src/services/core/orbs/pack-orb.js';
import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type ImportedOrb,
  type OrbLibrary,
} from '../../../../../src/services/core/pipeline-config/index.js';
import { formatErrors } from './helpers.js';

// GIVEN the sources of real orbs (circleci/node@7.2.1, circleci/go@3.0.2, test/fixtures/orbs),
// packed as `circleci orb pack` packs them, in the orb store,
// WHEN real configs that use them are parsed,
// THEN the orbs' jobs, commands and executors expand as CircleCI expands them (golden models).
const FIXTURES = join(import.meta.dirname, '../../../../fixtures');
const update = process.env.GYRE_UPDATE_FIXTURES === '1';

async function packed(folder: string, ref: string): Promise<ImportedOrb> {
  const result = packOrb(await readOrbSource(join(FIXTURES, 'orbs', folder)));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return { ref, yaml: result.yaml };
}

async function library(): Promise<OrbLibrary> {
  return new Map([
    ['circleci/node@7.2.1', await packed('node-7.2.1', 'circleci/node@7.2.1')],
    ['circleci/go@3.0.2', await packed('go-3.0.2', 'circleci/go@3.0.2')],
    [
      'circleci/os-detect@0.2',
      {
        ref: 'circleci/os-detect@0.2.0',
        yaml: readFileSync(join(FIXTURES, 'orbs/os-detect-stand-in/orb.yml'), 'utf8'),
      },
    ],
  ]);
}

function parseFixture(name: string, orbs: OrbLibrary) {
  const text = readFileSync(join(FIXTURES, 'pipeline-configs/orbs', name), 'utf8');
  return parsePipelineConfig(text, { resourceClasses: DEFAULT_RESOURCE_CLASSES, orbs });
}

describe('real configs on real orbs', () => {
  it.each(['node-test-job.yml', 'go-with-cache.yml'])('expands %s into the expected model', async (name) => {
    const result = parseFixture(name, await library());
    if (!result.ok) throw new Error(formatErrors(result.errors));
    const golden = join(FIXTURES, 'pipeline-configs/orbs', name.replace(/\.yml$/, '.model.json'));
    const actual = `${JSON.stringify(result.config, null, 2)}\n`;
    if (update) writeFileSync(golden, actual);
    if (!existsSync(golden)) throw new Error(`missing ${golden}; run with GYRE_UPDATE_FIXTURES=1 and review it`);
    expect(actual).toBe(readFileSync(golden, 'utf8'));
  });

  it('names the orb a config needs when the store lacks it, and the one an orb depends on', async () => {
    const orbs = new Map(await library());
    orbs.delete('circleci/os-detect@0.2');
    const result = parseFixture('go-with-cache.yml', orbs);
    expect(result.ok ? '' : formatErrors(result.errors)).toMatch(
      /^circleci\/go@3\.0\.2 \d+:\d+ orbs\.os-detect: orb circleci\/os-detect@0\.2 is not in this installation's orb store/,
    );
  });
});
