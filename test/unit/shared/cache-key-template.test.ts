import { describe, expect, it } from '@jest/globals';
import { parseKeyTemplate, renderKeyTemplate, type KeyFacts } from '../../../src/shared/cache-key-template.js';

const facts: KeyFacts = {
  branch: 'feature/x',
  revision: 'abc123',
  buildNum: '42',
  environment: { CACHE_VERSION: 'v3' },
  checksum: (path) => Promise.resolve(`sum(${path})`),
  epoch: 1_700_000_000,
  machine: 'x86_64',
};

async function rendered(template: string): Promise<string> {
  const parsed = parseKeyTemplate(template);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return renderKeyTemplate(parsed.parts, facts);
}

describe('cache key templates', () => {
  it('fills in every placeholder CircleCI knows, with or without spaces in the braces', async () => {
    expect(
      await rendered(
        'deps-{{ .Branch }}-{{.Revision}}-{{ .BuildNum }}-{{ .Environment.CACHE_VERSION }}-{{ checksum "package-lock.json" }}-{{ epoch }}-{{ arch }}',
      ),
    ).toBe('deps-feature/x-abc123-42-v3-sum(package-lock.json)-1700000000-arch1-linux-amd64');
  });

  it('renders an unset variable as empty and text without placeholders as it is', async () => {
    expect(await rendered('v1-{{ .Environment.UNSET }}-x')).toBe('v1--x');
    expect(await rendered('plain-key')).toBe('plain-key');
  });

  it('lists every unknown placeholder and unbalanced braces, saying what is known', () => {
    expect(parseKeyTemplate('a-{{ .Tag }}-{{ checksum file }}-{{ .Branch')).toEqual({
      problems: [
        '{{ .Tag }} is not a cache key template; use .Branch, .Revision, .BuildNum, .Environment.NAME, checksum "file", epoch or arch',
        '{{ checksum file }} is not a cache key template; use .Branch, .Revision, .BuildNum, .Environment.NAME, checksum "file", epoch or arch',
        '"-{{ .Branch" has unbalanced {{ }}; close each {{ with }}',
      ],
    });
  });
});
