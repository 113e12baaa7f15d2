import { describe, expect, it } from '@jest/globals';
import { pickVersion } from '../../../../../src/services/core/orbs/orb-versions.js';
import { parseOrbReference } from '../../../../../src/services/core/pipeline-config/index.js';

describe('orb references and versions', () => {
  const available = ['7.1.0', '7.2.1', '7.2.0', '6.3.0', '10.0.0'];

  it.each([
    ['7.2.1', '7.2.1'],
    ['7.2', '7.2.1'],
    ['7', '7.2.1'],
    ['6', '6.3.0'],
    ['volatile', '10.0.0'],
    ['7.3', undefined],
    ['7.2.2', undefined],
  ])('picks the newest import that @%s stands for', (requested, expected) => {
    expect(pickVersion(requested, available)).toBe(expected);
  });

  it('reads namespace/name@version, and explains what is wrong with anything else', () => {
    expect(parseOrbReference('circleci/node@7.2.1')).toEqual({ namespace: 'circleci', name: 'node', version: '7.2.1' });
    expect(parseOrbReference('circleci/node')).toEqual({
      problem: '"circleci/node" is not an orb reference; write namespace/name@version, as in circleci/node@7.2.1',
    });
    expect(parseOrbReference('circleci/node@dev:alpha')).toEqual({
      problem: '"circleci/node@dev:alpha": the version is x.y.z, x.y, x or volatile, as in circleci/node@7.2.1',
    });
    expect(parseOrbReference('Circle CI/node@1')).toEqual({
      problem:
        '"Circle CI/node@1": a namespace and a name are lower-case letters, digits, - and _ (at most 63), starting with a letter or digit',
    });
  });
});
