/**
 * CircleCI cache-key templates, such as `v1-deps-{{ .Branch }}-{{ checksum "package-lock.json" }}`.
 * The services app parses them when it reads `.circleci/config.yml`, so a typo is a config error
 * at its line; the builder renders them, because only it has the job's files and environment.
 *
 * CircleCI evaluates keys as Go templates and documents these values, which render as it renders them:
 *
 * | template                  | renders                                                                  |
 * |---------------------------|--------------------------------------------------------------------------|
 * | `{{ .Branch }}`           | the branch being built; empty when a tag is built                        |
 * | `{{ .Revision }}`         | the commit being built, as its full 40-character SHA                     |
 * | `{{ .BuildNum }}`         | the job's build number                                                   |
 * | `{{ .Environment.NAME }}` | the variable NAME, or `<no value>` when it is unset (what a Go template prints for a missing map entry) |
 * | `{{ checksum "file" }}`   | SHA-256 of the file's bytes in standard, padded base64 (44 characters); the path is absolute or relative to the working directory |
 * | `{{ epoch }}`             | whole seconds since the Unix epoch, when the key is rendered              |
 * | `{{ epoch \| round "72h" }}` | the epoch rounded to the nearest multiple of a Go duration (`h`, `m`, `s`), so a key changes once per period; CircleCI's own orbs (go) write it, its docs do not describe it |
 * | `{{ arch }}`              | the OS and CPU as `arch1-<os>-<cpu architecture>-<cpu family>_<cpu model>`, e.g. `arch1-linux-amd64-6_85` |
 *
 * CircleCI fills `.Environment` only with the variables it sets itself (`CIRCLE_*`) and those of
 * the project and its contexts, not with `environment:` keys of the config; the builder passes
 * the same set. Only keys are templates: `paths`, `root`, `at` and `path` are taken as written.
 *
 * Whitespace follows Go: spaces, tabs and newlines inside `{{ }}` are optional, `{{- ` and ` -}}`
 * trim the whitespace of the text beside them, and `}}` or a single brace outside an action is
 * plain text. A file name is "double-quoted" (with backslash escapes) or `back-quoted` (raw).
 * Everything else a Go template could do (`.CheckoutKey`, Go's built-in functions, pipelines,
 * comments) is a problem: CircleCI documents none of it for keys.
 */

/** One piece of a parsed key: literal text or a value filled in when the key is rendered. */
export type KeyTemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'branch' | 'revision' | 'buildNum' | 'arch' }
  | { readonly kind: 'epoch'; readonly roundSeconds?: number }
  | { readonly kind: 'environment'; readonly name: string }
  | { readonly kind: 'checksum'; readonly path: string };

/** The parts of a key, or every problem with it, each saying how to fix it. */
export type KeyTemplateParse =
  | { readonly ok: true; readonly parts: readonly KeyTemplatePart[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/** What a key is rendered with, on the builder. */
export interface KeyTemplateFacts {
  /** Empty when a tag is built. */
  readonly branch: string;
  /** The full commit SHA. */
  readonly revision: string;
  readonly buildNum: number;
  /** The variables `.Environment` may read (see the header). */
  readonly environment: Readonly<Record<string, string>>;
  /** The base64 SHA-256 of a file's bytes; `path` as the template wrote it. Rejects when the file cannot be read. */
  checksum(path: string): Promise<string>;
  /** Seconds since the Unix epoch. */
  readonly epoch: number;
  /** As in `arch1-linux-amd64-6_85`. */
  readonly arch: string;
}

/** What a Go template prints for a map entry that does not exist. */
const MISSING_VALUE = '<no value>';

const VALUES = ['.Branch', '.Revision', '.BuildNum', '.Environment.NAME'];
const FUNCTIONS = ['checksum "file"', 'epoch', 'arch'];
const FIELDS: Readonly<Record<string, 'branch' | 'revision' | 'buildNum'>> = {
  Branch: 'branch',
  Revision: 'revision',
  BuildNum: 'buildNum',
};

type Token =
  | { readonly kind: 'field'; readonly names: readonly string[] }
  | { readonly kind: 'word'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'pipe' }
  | { readonly kind: 'bad'; readonly text: string };

/** Parses a key; never throws. */
export function parseKeyTemplate(text: string): KeyTemplateParse {
  const parts: KeyTemplatePart[] = [];
  const problems: string[] = [];
  let at = 0;
  let trimNext = false;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    let literal = text.slice(at, open === -1 ? text.length : open);
    if (trimNext) literal = literal.replace(/^[ \t\r\n]+/, '');
    const trimBefore = open !== -1 && text[open + 2] === '-' && isSpace(text[open + 3]);
    if (trimBefore) literal = literal.replace(/[ \t\r\n]+$/, '');
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    if (open === -1) break;
    const action = lexAction(text, open + (trimBefore ? 3 : 2));
    const source = text.slice(open, action.end);
    if (action.unclosed) {
      problems.push(`${shorten(source)} is not closed; end it with }}`);
      break;
    }
    const part = interpret(action.tokens, source);
    if (typeof part === 'string') problems.push(part);
    else parts.push(part);
    trimNext = action.trimAfter;
    at = action.end;
  }
  return problems.length === 0 ? { ok: true, parts } : { ok: false, problems };
}

/** Renders a parsed key with the job's facts. Rejects when a checksum cannot be computed. */
export async function renderKeyTemplate(parts: readonly KeyTemplatePart[], facts: KeyTemplateFacts): Promise<string> {
  let key = '';
  for (const part of parts) key += await renderPart(part, facts);
  return key;
}

async function renderPart(part: KeyTemplatePart, facts: KeyTemplateFacts): Promise<string> {
  switch (part.kind) {
    case 'text':
      return part.text;
    case 'branch':
      return facts.branch;
    case 'revision':
      return facts.revision;
    case 'buildNum':
      return String(facts.buildNum);
    case 'environment':
      return Object.hasOwn(facts.environment, part.name) ? (facts.environment[part.name] ?? '') : MISSING_VALUE;
    case 'checksum':
      return facts.checksum(part.path);
    case 'epoch': {
      const seconds = Math.floor(facts.epoch);
      const period = part.roundSeconds;
      return String(period === undefined ? seconds : Math.round(seconds / period) * period);
    }
    case 'arch':
      return facts.arch;
  }
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

interface LexedAction {
  readonly tokens: readonly Token[];
  /** Just past the closing `}}`, or the end of the text when there is none. */
  readonly end: number;
  readonly unclosed: boolean;
  /** Whether the action ended with ` -}}`. */
  readonly trimAfter: boolean;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const FIELD_CHAIN = /(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;

// Go's lexer, reduced to what keys use: field chains, words, quoted strings and the closing braces.
function lexAction(text: string, start: number): LexedAction {
  const tokens: Token[] = [];
  let i = start;
  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length) return { tokens, end: text.length, unclosed: true, trimAfter: false };
    if (text.startsWith('}}', i)) return { tokens, end: i + 2, unclosed: false, trimAfter: false };
    if (text.startsWith('-}}', i) && isSpace(text[i - 1]))
      return { tokens, end: i + 3, unclosed: false, trimAfter: true };
    const [token, next] = lexToken(text, i);
    tokens.push(token);
    i = next;
  }
}

function lexToken(text: string, i: number): [Token, number] {
  const char = text[i];
  if (char === '.' || /[A-Za-z_]/.test(char ?? '')) {
    const pattern = char === '.' ? FIELD_CHAIN : NAME;
    pattern.lastIndex = i;
    const match = pattern.exec(text)?.[0];
    if (match !== undefined) {
      const token: Token =
        char === '.' ? { kind: 'field', names: match.slice(1).split('.') } : { kind: 'word', name: match };
      return [token, i + match.length];
    }
  }
  if (char === '|') return [{ kind: 'pipe' }, i + 1];
  if (char === '`') {
    const close = text.indexOf('`', i + 1);
    if (close !== -1) return [{ kind: 'string', value: text.slice(i + 1, close) }, close + 1];
  }
  if (char === '"') {
    const quoted = /"(?:[^"\\\n]|\\.)*"/y;
    quoted.lastIndex = i;
    const match = quoted.exec(text)?.[0];
    const value = match === undefined ? undefined : unquote(match);
    if (match !== undefined && value !== undefined) return [{ kind: 'string', value }, i + match.length];
  }
  let end = i + 1;
  while (end < text.length && !isSpace(text[end]) && !text.startsWith('}}', end)) end++;
  return [{ kind: 'bad', text: text.slice(i, end) }, end];
}

// Go's escapes in a double-quoted string are JSON's, plus a few no one puts in a file name.
function unquote(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

function interpret(tokens: readonly Token[], source: string): KeyTemplatePart | string {
  const bad = tokens.find((t) => t.kind === 'bad');
  if (bad?.text.startsWith('"') === true || bad?.text.startsWith('`') === true) {
    return `the file name ${bad.text} in ${source} is not closed; end it with ${bad.text[0]}`;
  }
  if (bad) {
    const hint = /[“”‘’']/.test(bad.text)
      ? '; quote file names with straight double quotes: {{ checksum "file" }}'
      : '';
    return `unexpected ${JSON.stringify(bad.text)} in ${source}${hint}`;
  }
  const pipe = tokens.findIndex((t) => t.kind === 'pipe');
  if (pipe >= 0) return readRoundedEpoch(tokens, pipe, source);
  const [head, ...args] = tokens;
  if (head === undefined) return `${source} is empty; put a value in it, such as {{ .Branch }}`;
  if (head.kind === 'field') {
    const field = readField(head.names, source);
    return typeof field === 'string' || args.length === 0
      ? field
      : `.${head.names.join('.')} takes no arguments in ${source}`;
  }
  if (head.kind === 'word') return readFunction(head.name, args, source);
  return `${source} holds only a string; use one of ${[...VALUES, ...FUNCTIONS].join(', ')}`;
}

function readField(names: readonly string[], source: string): KeyTemplatePart | string {
  const [first, ...rest] = names;
  if (first === 'Environment') {
    if (rest.length === 1) return { kind: 'environment', name: rest[0]! };
    return `${source} needs one variable name after .Environment, as in {{ .Environment.CACHE_VERSION }}`;
  }
  const kind = first === undefined || rest.length > 0 ? undefined : FIELDS[first];
  if (kind !== undefined) return { kind };
  if (first === 'CheckoutKey' && rest.length === 0)
    return `.CheckoutKey is not supported in ${source}: Gyre has no checkout key to put in a cache key; use {{ .Revision }} or a fixed text`;
  const written = `.${names.join('.')}`;
  const near = VALUES.find((v) => v.toLowerCase() === written.toLowerCase());
  return `unknown value ${written} in ${source}; ${near ? `did you mean ${near}? ` : ''}the values are ${VALUES.join(', ')}`;
}

function readFunction(name: string, args: readonly Token[], source: string): KeyTemplatePart | string {
  if (name === 'checksum') {
    const [file, ...extra] = args;
    if (file?.kind === 'string' && file.value !== '' && extra.length === 0)
      return { kind: 'checksum', path: file.value };
    return `checksum takes one file name in double quotes, as in {{ checksum "package-lock.json" }}; got ${source}`;
  }
  if (name === 'epoch' || name === 'arch') {
    return args.length === 0 ? { kind: name } : `${name} takes no arguments; write {{ ${name} }} instead of ${source}`;
  }
  const near = FUNCTIONS.find((f) => f.split(' ')[0]!.toLowerCase() === name.toLowerCase());
  return `unknown function "${name}" in ${source}; ${near ? `did you mean ${near}? ` : ''}the functions are ${FUNCTIONS.join(', ')}`;
}

/** `{{ epoch | round "72h" }}`, the one pipeline keys use. */
function readRoundedEpoch(tokens: readonly Token[], pipe: number, source: string): KeyTemplatePart | string {
  const [value, bar, fn, duration, ...extra] = tokens;
  const seconds = duration?.kind === 'string' ? durationSeconds(duration.value) : undefined;
  if (
    pipe !== 1 ||
    value?.kind !== 'word' ||
    value.name !== 'epoch' ||
    bar?.kind !== 'pipe' ||
    fn?.kind !== 'word' ||
    fn.name !== 'round' ||
    seconds === undefined ||
    extra.length > 0
  )
    return `the only pipeline a key may use is {{ epoch | round "72h" }} (a Go duration of h, m and s); got ${source}`;
  return { kind: 'epoch', roundSeconds: seconds };
}

/** A Go duration of whole hours, minutes and seconds (`72h`, `1h30m`), in seconds; undefined when not one or zero. */
function durationSeconds(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') return undefined;
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return seconds > 0 ? seconds : undefined;
}

function shorten(source: string): string {
  return source.length > 40 ? `${source.slice(0, 40)}…` : source;
}
