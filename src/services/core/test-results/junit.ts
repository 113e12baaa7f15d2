/**
 * JUnit XML reports, as the test tools people run in jobs write them (jest-junit, pytest
 * `--junitxml`, go-junit-report, Maven Surefire, ...), read into one shape: every test case with
 * its result and, for failures, the message and details to show. Pure: bytes in, data out.
 *
 * A report that cannot be read is never an exception: it becomes a warning that names the file
 * and says what is wrong, and the other files of the job still count.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type TestResultKind = 'passed' | 'failed' | 'error' | 'skipped';

/** One test case of a report. */
export interface TestCaseResult {
  /** The `<testsuite name>` it is in (the innermost named one), or '' when no suite is named. */
  readonly suite: string;
  readonly classname: string;
  readonly name: string;
  /** The test's source file, when the report names one (pytest, jest-junit with `addFileAttribute`). */
  readonly file?: string;
  readonly timeSeconds: number;
  readonly result: TestResultKind;
  /** One line or a few: the failure's `message`, or the first line of its body when it has none. */
  readonly message?: string;
  /** The failure's body (a stack trace, an assertion diff). */
  readonly details?: string;
}

export interface TestTotals {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  readonly timeSeconds: number;
}

export interface JUnitReport {
  readonly totals: TestTotals;
  readonly cases: readonly TestCaseResult[];
  /** What could not be read, each naming the file. */
  readonly warnings: readonly string[];
}

/** Sizes past which text is cut: enough for any message and a stack trace, not for a whole log. */
export const JUNIT_LIMITS = {
  /** A larger file is not read at all (a warning says so). */
  maxReportBytes: 16 * 1024 * 1024,
  maxNameChars: 1000,
  maxMessageChars: 2000,
  maxDetailsChars: 10_000,
} as const;

/**
 * Entity processing is off: no DTD entity is ever expanded, so a "billion laughs" file costs no
 * more than its own bytes. The five predefined entities and character references are decoded
 * below, once, by `decodeXmlText`. Values stay text (no number guessing), order is kept so that
 * text and CDATA sections join in document order, and comments are dropped.
 */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
});

/** A node of the parser's ordered output: `{ tag: children, ':@': attributes }` or text. */
type OrderedNode = Record<string, unknown>;

/** Reads one report. `file` names it in warnings: its path as the job stored it. */
export function parseJUnit(file: string, content: Buffer | string): JUnitReport {
  const warnings: string[] = [];
  const empty = (warning: string): JUnitReport => ({ totals: totalsOf([]), cases: [], warnings: [warning] });
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > JUNIT_LIMITS.maxReportBytes)
    return empty(
      `${file}: not read: ${size} bytes is over the limit of ${JUNIT_LIMITS.maxReportBytes} bytes for one report; split the report or leave large outputs out of it`,
    );
  const text = typeof content === 'string' ? content : decodeUtf8(content);
  if (text === undefined) return empty(`${file}: not read: it is not UTF-8 text`);

  const valid = XMLValidator.validate(text);
  if (valid !== true) return empty(`${file}: not valid XML: ${describeXmlError(valid.err)}`);
  let document: OrderedNode[];
  try {
    document = parser.parse(text) as OrderedNode[];
  } catch (error) {
    return empty(`${file}: not valid XML: ${error instanceof Error ? error.message : String(error)}`);
  }

  const roots = document.filter((node) => tagOf(node) !== undefined && tagOf(node) !== '?xml');
  const reports = roots.filter((node) => tagOf(node) === 'testsuites' || tagOf(node) === 'testsuite');
  if (reports.length === 0) {
    const found = roots.map((node) => `<${tagOf(node)!}>`).join(', ') || 'no element';
    return empty(`${file}: not a JUnit report: it has ${found} where <testsuites> or <testsuite> was expected`);
  }
  const cases: TestCaseResult[] = [];
  for (const root of reports) collectCases(root, '', undefined, cases);
  if (cases.length === 0) warnings.push(`${file}: a JUnit report without any <testcase>`);
  return { totals: totalsOf(cases), cases, warnings };
}

/** Totals of cases, counted from the cases themselves: reports' own counts are often wrong. */
export function totalsOf(cases: readonly TestCaseResult[]): TestTotals {
  const count = (kind: TestResultKind) => cases.filter((c) => c.result === kind).length;
  const time = cases.reduce((sum, c) => sum + c.timeSeconds, 0);
  return {
    tests: cases.length,
    failures: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
    timeSeconds: roundSeconds(time),
  };
}

/** Totals of several reports (or of several files' totals) added up. */
export function sumTotals(list: readonly TestTotals[]): TestTotals {
  const sum = (key: keyof TestTotals) => list.reduce((total, totals) => total + totals[key], 0);
  return {
    tests: sum('tests'),
    failures: sum('failures'),
    errors: sum('errors'),
    skipped: sum('skipped'),
    timeSeconds: roundSeconds(sum('timeSeconds')),
  };
}

/** Walks `<testsuites>`/`<testsuite>` (nested too) and collects their `<testcase>`s. */
function collectCases(node: OrderedNode, suite: string, file: string | undefined, into: TestCaseResult[]): void {
  const tag = tagOf(node);
  const attributes = attributesOf(node);
  if (tag === 'testsuite') {
    suite = cut(attributes['name'], JUNIT_LIMITS.maxNameChars) || suite;
    file = attributes['file'] ?? file;
  }
  for (const child of childrenOf(node)) {
    const childTag = tagOf(child);
    if (childTag === 'testsuite' || childTag === 'testsuites') collectCases(child, suite, file, into);
    else if (childTag === 'testcase') into.push(readCase(child, suite, file));
  }
}

function readCase(node: OrderedNode, suite: string, suiteFile: string | undefined): TestCaseResult {
  const attributes = attributesOf(node);
  const file = attributes['file'] ?? suiteFile;
  // The first <failure> or <error> decides (pytest writes a test's failure and its teardown error
  // both); Surefire's <flakyFailure> and <rerunFailure> sit beside a pass or a <failure> and add nothing.
  const children = childrenOf(node);
  const problem =
    children.find((child) => tagOf(child) === 'failure' || tagOf(child) === 'error') ??
    children.find((child) => tagOf(child) === 'skipped');
  const result = problem === undefined ? 'passed' : RESULT_OF[tagOf(problem)!]!;
  const base = {
    suite,
    classname: cut(attributes['classname'], JUNIT_LIMITS.maxNameChars),
    name: cut(attributes['name'], JUNIT_LIMITS.maxNameChars),
    ...(file !== undefined && file !== '' && { file: cut(file, JUNIT_LIMITS.maxNameChars) }),
    timeSeconds: secondsOf(attributes['time']),
    result,
  };
  if (problem === undefined) return base;
  const body = textOf(problem).trim();
  const message = (attributesOf(problem)['message'] ?? '').trim() || firstLine(body);
  return {
    ...base,
    ...(message !== '' && { message: cut(message, JUNIT_LIMITS.maxMessageChars) }),
    ...(body !== '' && body !== message && { details: cut(body, JUNIT_LIMITS.maxDetailsChars) }),
  };
}

const RESULT_OF: Readonly<Record<string, TestResultKind>> = { failure: 'failed', error: 'error', skipped: 'skipped' };

function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text');
}

function childrenOf(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  const children = tag === undefined ? undefined : node[tag];
  return Array.isArray(children) ? (children as OrderedNode[]) : [];
}

/** Attribute values, decoded. */
function attributesOf(node: OrderedNode): Record<string, string> {
  const raw = (node[':@'] ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, decodeXmlText(String(value))]));
}

/** An element's text: text decoded, CDATA as it is, joined in document order. */
function textOf(node: OrderedNode): string {
  return childrenOf(node)
    .map((child) => {
      if (typeof child['#text'] === 'string') return decodeXmlText(child['#text']);
      if (tagOf(child) === '#cdata')
        return childrenOf(child)
          .map((part) => (typeof part['#text'] === 'string' ? part['#text'] : ''))
          .join('');
      return textOf(child);
    })
    .join('');
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes the predefined entities and character references in one pass (so `&amp;lt;` stays
 * `&lt;`). Anything else that looks like an entity is left as written. Characters XML does not
 * allow, NUL above all (PostgreSQL text cannot hold it), become U+FFFD.
 */
export function decodeXmlText(text: string): string {
  const decoded = text.includes('&')
    ? text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, name: string) => {
        if (!name.startsWith('#')) return ENTITIES[name] ?? whole;
        const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return allowedInXml(code) ? String.fromCodePoint(code) : '\uFFFD';
      })
    : text;
  return decoded.includes('\0') ? decoded.replaceAll('\0', '\uFFFD') : decoded;
}

function allowedInXml(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    // ignoreBOM: false drops a leading byte order mark, which some Windows tools write.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function describeXmlError(error: { code: string; msg: string; line: number; col?: number }): string {
  const unclosed = /^Invalid '\[(.*)\]' found\.$/s.exec(error.msg);
  if (unclosed)
    return `it ends before closing ${[...unclosed[1]!.matchAll(/"([^"]+)"/g)].map((m) => `<${m[1]!}>`).join(' ')}; was the file written completely?`;
  return `line ${error.line}${error.col === undefined ? '' : `, column ${error.col}`}: ${error.msg}`;
}

function secondsOf(value: string | undefined): number {
  // Some tools write thousands separators ("1,234.5"); a time that still does not parse counts as 0.
  const seconds = Number((value ?? '').replaceAll(',', ''));
  return Number.isFinite(seconds) && seconds > 0 ? roundSeconds(seconds) : 0;
}

function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

/** `text` cut to `max` characters, saying how much was left out. */
function cut(text: string | undefined, max: number): string {
  if (text === undefined) return '';
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more characters]`;
}
