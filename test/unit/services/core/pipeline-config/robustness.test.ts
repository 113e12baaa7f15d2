import { describe, expect, it } from '@jest/globals';
import { formatErrors, parse, parseErrors } from './helpers.js';

describe('hostile and broken input', () => {
  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing here\n'],
    ['only whitespace', '   \n\n'],
    ['a null document', '~\n'],
  ])('reports %s at 1:1 instead of throwing', (_name, text) => {
    expect(parseErrors(text)).toEqual([
      { line: 1, column: 1, path: '', message: 'the config is empty; it needs at least `version` and `jobs`' },
    ]);
  });

  it('refuses configs over 1 MiB before parsing them', () => {
    const errors = parseErrors(`version: 2.1\n# ${'x'.repeat(1024 * 1024)}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 1, column: 1 });
    expect(errors[0]?.message).toMatch(/limit is 1048576 bytes \(1 MiB\)/);
  });

  it('stops a billion-laughs alias bomb with an error at the first alias', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const errors = parseErrors(`version: 2.1\n${levels.join('\n')}\n`);
    expect(errors).toEqual([
      expect.objectContaining({ line: 3, column: 8, message: expect.stringMatching(/alias bomb/) as unknown }),
    ]);
  });

  it('reports an alias to an undefined anchor where the alias is', () => {
    expect(parseErrors('version: 2.1\njobs:\n  build: *missing\n')).toEqual([
      expect.objectContaining({
        line: 3,
        column: 10,
        message: expect.stringMatching(/alias \*missing refers to no anchor/) as unknown,
      }),
    ]);
  });

  it('reports a second YAML document instead of ignoring it', () => {
    expect(parseErrors('version: 2.1\n---\nversion: 2\n')[0]).toMatchObject({ line: 2, column: 1 });
  });

  it('rejects non-string values such as !!binary with their position', () => {
    const errors = parseErrors('version: 2.1\njobs:\n  build:\n    docker:\n      - image: !!binary aGVsbG8=\n');
    expect(errors[0]).toMatchObject({
      line: 5,
      column: 25,
      message: expect.stringMatching(/tag tag:yaml.org,2002:binary/) as unknown,
    });
  });

  it.each([
    ['deep flow nesting', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['deep block nesting', Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
    ['a long requires chain', longRequiresChain(3000)],
    ['binary garbage', '\u0000\u0001\uFFFE\uD800 : : ]['],
  ])('survives %s without throwing', (_name, text) => {
    const result = parse(text);
    if (!result.ok) for (const e of result.errors) expect(e.line > 0 && e.column > 0).toBe(true);
  });

  it('still parses a valid config with a long requires chain', () => {
    const result = parse(longRequiresChain(500));
    if (!result.ok) throw new Error(formatErrors(result.errors));
    expect(result.config.workflows[0]?.jobs).toHaveLength(500);
  });
});

function longRequiresChain(length: number): string {
  const lines = [
    'version: 2.1',
    'jobs:',
    '  j:',
    '    docker: [{ image: alpine }]',
    '    steps: [checkout]',
    'workflows:',
    '  w:',
    '    jobs:',
  ];
  for (let i = 0; i < length; i++)
    lines.push(i === 0 ? '      - j: { name: j0 }' : `      - j: { name: j${i}, requires: [j${i - 1}] }`);
  return `${lines.join('\n')}\n`;
}
