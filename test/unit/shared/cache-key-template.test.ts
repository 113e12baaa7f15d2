import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  parseKeyTemplate,
  renderKeyTemplate,
  type KeyTemplateFacts,
  type KeyTemplatePart,
} from '../../../src/shared/cache-key-template.js';

function parts(text: string): readonly KeyTemplatePart[] {
  const parsed = parseKeyTemplate(text);
  if (!parsed.ok) throw new Error(`expected ${text} to parse, got: ${parsed.problems.join('; ')}`);
  return parsed.parts;
}

function problems(text: string): readonly string[] {
  const parsed = parseKeyTemplate(text);
  if (parsed.ok) throw new Error(`expected problems with ${text}`);
  return parsed.problems;
}

const FILES: Readonly<Record<string, string>> = { 'package-lock.json': '{"lockfileVersion": 3}\n', 'a b.txt': 'x' };

// CircleCI's checksum: standard base64, with padding, of the SHA-256 of the file's bytes.
const base64Sha256 = (text: string): string => createHash('sha256').update(text).digest('base64');

const facts: KeyTemplateFacts = {
  branch: 'feature/login',
  revision: '0123456789abcdef0123456789abcdef01234567',
  buildNum: 42,
  environment: { CACHE_VERSION: 'v7', EMPTY: '' },
  checksum: (path) => {
    const content = FILES[path];
    return content === undefined
      ? Promise.reject(new Error(`no file ${path}`))
      : Promise.resolve(base64Sha256(content));
  },
  epoch: 1_700_000_000.75,
  arch: 'arch1-linux-amd64-6_85',
};

async function render(text: string): Promise<string> {
  return renderKeyTemplate(parts(text), facts);
}

describe('parseKeyTemplate', () => {
  it('reads every value and function CircleCI documents', () => {
    expect(
      parts(
        'v1-{{ .Branch }}-{{ .Revision }}-{{ .BuildNum }}-{{ .Environment.CACHE_VERSION }}-{{ checksum "yarn.lock" }}-{{ epoch }}-{{ arch }}',
      ),
    ).toEqual([
      { kind: 'text', text: 'v1-' },
      { kind: 'branch' },
      { kind: 'text', text: '-' },
      { kind: 'revision' },
      { kind: 'text', text: '-' },
      { kind: 'buildNum' },
      { kind: 'text', text: '-' },
      { kind: 'environment', name: 'CACHE_VERSION' },
      { kind: 'text', text: '-' },
      { kind: 'checksum', path: 'yarn.lock' },
      { kind: 'text', text: '-' },
      { kind: 'epoch' },
      { kind: 'text', text: '-' },
      { kind: 'arch' },
    ]);
  });

  it('keeps a key without templates as one piece of text, and an empty key as none', () => {
    expect(parts('v1-npm-deps-')).toEqual([{ kind: 'text', text: 'v1-npm-deps-' }]);
    expect(parts('')).toEqual([]);
  });

  it.each([
    ['{{.Branch}}', [{ kind: 'branch' }]],
    ['{{   .Branch\t}}', [{ kind: 'branch' }]],
    ['{{\n  checksum\n  "a.lock"\n}}', [{ kind: 'checksum', path: 'a.lock' }]],
    ['{{checksum "a.lock"}}', [{ kind: 'checksum', path: 'a.lock' }]],
    ['{{ checksum `C:\\dir\\a.lock` }}', [{ kind: 'checksum', path: 'C:\\dir\\a.lock' }]],
    ['{{ checksum "dir/\\"q\\".lock" }}', [{ kind: 'checksum', path: 'dir/"q".lock' }]],
    ['{{ checksum "odd}}name" }}', [{ kind: 'checksum', path: 'odd}}name' }]],
  ])('tolerates whitespace and quoting as Go templates do: %j', (text, expected) => {
    expect(parts(text)).toEqual(expected);
  });

  it('trims the whitespace beside {{- and -}}, as Go templates do', () => {
    expect(parts('a  \n{{- .Branch -}}  \tb')).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'branch' },
      { kind: 'text', text: 'b' },
    ]);
  });

  it('keeps single braces and a lone }} as text', () => {
    expect(parts('a{b}-}}-{ {.Branch}')).toEqual([{ kind: 'text', text: 'a{b}-}}-{ {.Branch}' }]);
  });

  it.each([
    ['v1-{{ .branch }}', 'unknown value .branch in {{ .branch }}; did you mean .Branch? the values are'],
    ['{{ .Commit }}', 'unknown value .Commit in {{ .Commit }}; the values are .Branch, .Revision'],
    ['{{ .Branch.Name }}', 'unknown value .Branch.Name in {{ .Branch.Name }}'],
    ['{{ .Environment }}', '{{ .Environment }} needs one variable name after .Environment'],
    ['{{ .Environment.A.B }}', '{{ .Environment.A.B }} needs one variable name'],
    ['{{ .CheckoutKey }}', '.CheckoutKey is not supported in {{ .CheckoutKey }}'],
    [
      '{{ chksum "a" }}',
      'unknown function "chksum" in {{ chksum "a" }}; the functions are checksum "file", epoch, arch',
    ],
    ['{{ Checksum "a" }}', 'did you mean checksum "file"?'],
    ['{{ printf "%s" .Branch }}', 'unknown function "printf"'],
    ['{{ checksum }}', 'checksum takes one file name in double quotes, as in {{ checksum "package-lock.json" }}'],
    ['{{ checksum "" }}', 'checksum takes one file name in double quotes'],
    ['{{ checksum "a" "b" }}', 'checksum takes one file name in double quotes'],
    ['{{ checksum package.json }}', 'checksum takes one file name in double quotes'],
    [
      '{{ checksum “stack.yaml” }}',
      'unexpected "“stack.yaml”" in {{ checksum “stack.yaml” }}; quote file names with straight',
    ],
    ["{{ checksum 'pom.xml' }}", 'quote file names with straight double quotes'],
    ['{{ checksum "a }}', 'the file name "a in {{ checksum "a }} is not closed; end it with "'],
    ['{{ epoch 1 }}', 'unexpected "1" in {{ epoch 1 }}'],
    ['{{ arch .Branch }}', 'arch takes no arguments; write {{ arch }} instead of {{ arch .Branch }}'],
    ['{{ .Branch .Revision }}', '.Branch takes no arguments in {{ .Branch .Revision }}'],
    ['{{ }}', '{{ }} is empty; put a value in it'],
    ['{{ . }}', 'unexpected "." in {{ . }}'],
    ['{{ "text" }}', '{{ "text" }} holds only a string'],
    ['{{ .Branch | printf "%s" }}', 'the only pipeline a key may use is {{ epoch | round "72h" }}'],
    ['{{ epoch | round "72x" }}', 'the only pipeline a key may use is {{ epoch | round "72h" }} (a Go duration'],
    ['{{ epoch | round "0h" }}', 'the only pipeline a key may use'],
    ['{{ epoch | round }}', 'the only pipeline a key may use'],
    ['v1-{{ .Branch', '{{ .Branch is not closed; end it with }}'],
    ['v1-{{ checksum `a}}', 'the file name `a in {{ checksum `a}} is not closed; end it with `'],
    ['{{ checksum "a', '{{ checksum "a is not closed; end it with }}'],
  ])('refuses %j, saying how to fix it', (text, message) => {
    expect(problems(text)).toEqual([expect.stringContaining(message)]);
  });

  it('reports every problem of a key at once', () => {
    expect(problems('{{ .branch }}-{{ epoc }}-{{ .Revision }}-{{ arch')).toHaveLength(3);
  });

  it('never throws, whatever the text', () => {
    for (const text of ['{{', '}}', '{{-', '{{- ', '{{ -}}', '{{"', '{{`', '{{ .', '{{ .9 }}', '{{\\', '\u0000{{}}']) {
      expect(() => parseKeyTemplate(text)).not.toThrow();
    }
  });
});

describe('renderKeyTemplate', () => {
  it('renders each value as CircleCI does', async () => {
    await expect(render('{{ .Branch }}|{{ .Revision }}|{{ .BuildNum }}|{{ epoch }}|{{ arch }}')).resolves.toBe(
      'feature/login|0123456789abcdef0123456789abcdef01234567|42|1700000000|arch1-linux-amd64-6_85',
    );
  });

  it('renders {{ epoch | round "72h" }} as the epoch rounded to the nearest 72 hours, the go orb\'s weekly-ish key', async () => {
    const period = 72 * 3600;
    // 1,700,000,000 s is 6,558.6 periods of 72 h: rounds up to 6,559 periods.
    await expect(render('{{ epoch | round "72h" }}')).resolves.toBe(String(6559 * period));
    await expect(render('{{ epoch|round "1h30m" }}')).resolves.toBe(String(Math.round(1_700_000_000 / 5400) * 5400));
  });

  it('renders a checksum as the padded base64 of the SHA-256 of the file', async () => {
    const key = await render('v1-{{ checksum "package-lock.json" }}');
    expect(key).toBe(`v1-${base64Sha256(FILES['package-lock.json']!)}`);
    expect(key).toMatch(/^v1-[A-Za-z0-9+/]{43}=$/);
    await expect(render('{{ checksum `a b.txt` }}')).resolves.toBe(base64Sha256('x'));
  });

  it('renders a variable, an empty one as empty, and a missing one as <no value> like a Go template', async () => {
    await expect(
      render('{{ .Environment.CACHE_VERSION }}-{{ .Environment.EMPTY }}-{{ .Environment.NOPE }}'),
    ).resolves.toBe('v7--<no value>');
    await expect(render('{{ .Environment.toString }}')).resolves.toBe('<no value>');
  });

  it('renders an empty branch for a tag build', async () => {
    await expect(renderKeyTemplate(parts('v1-{{ .Branch }}-x'), { ...facts, branch: '' })).resolves.toBe('v1--x');
  });

  it('rejects when a checksum cannot be computed', async () => {
    await expect(render('{{ checksum "missing.lock" }}')).rejects.toThrow('no file missing.lock');
  });
});
