/**
 * Turns config text into a {@link YNode} tree. Never throws: size limits, YAML syntax errors,
 * duplicate keys, unknown aliases and alias bombs all come back as positioned errors.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Alias, Document, Node as YamlNode, YAMLError } from 'yaml';
import { DOCUMENT_START, type ConfigError, type Position } from './errors.js';
import type { YEntry, YNode } from './yaml-node.js';
import { resolveMergeKey } from './merge-keys.js';

/** Configs larger than this are refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/**
 * How many nodes the document may expand to once aliases are followed. Anchors are shared, not
 * copied, so a "billion laughs" document stays small in memory; this bound keeps every later walk
 * over it small too.
 */
export const MAX_EXPANDED_NODES = 100_000;

/** The outcome of reading the YAML layer only. */
export type YamlParseResult =
  | {
      readonly ok: true;
      readonly root: YNode;
      /** Top-level keys whose value defines at least one `&anchor` (where `<<: *defaults` comes from). */
      readonly anchorHolders: ReadonlySet<string>;
      /**
       * YAML errors that leave the document readable (a duplicate key, a bad escape in a quoted
       * string): reported with whatever else the config gets wrong, not instead of it.
       */
      readonly yamlErrors: readonly ConfigError[];
    }
  | { readonly ok: false; readonly errors: ConfigError[] };

/**
 * Parses `text` as one YAML document and returns its positioned tree. `subject` names the text in
 * messages about it as a whole: `orb circleci/node@7.2.1` for an orb's. @default the config
 */
export function parseYamlWithPositions(text: string, subject?: string): YamlParseResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    return fail(
      DOCUMENT_START,
      subject === undefined
        ? `the config is ${bytes} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB). Move large scripts into files in the repository and call them from run steps`
        : `${subject} is ${bytes} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB)`,
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: sameKeyExceptMerge,
    prettyErrors: true,
    strict: true,
    version: '1.2',
  });
  const yamlErrors = doc.errors.map((e) => ({
    line: e.linePos?.[0].line ?? 1,
    column: e.linePos?.[0].col ?? 1,
    path: '',
    message: describeYamlError(e, text),
  }));
  if (!doc.errors.every((e) => READABLE_AFTER.includes(e.code))) return { ok: false, errors: yamlErrors };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return fail(
      DOCUMENT_START,
      subject === undefined
        ? 'the config is empty; it needs at least `version` and `jobs`'
        : `${subject} is empty; it needs \`commands\`, \`jobs\` or \`executors\``,
    );
  }
  const converter = new Converter(doc, lineCounter);
  const root = converter.convert(doc.contents, '');
  if (converter.errors.length > 0) return { ok: false, errors: [...yamlErrors, ...converter.errors] };
  const budgetError = checkExpandedSize(root, converter.firstAliasAt ?? DOCUMENT_START);
  return budgetError
    ? { ok: false, errors: [...yamlErrors, budgetError] }
    : { ok: true, root, anchorHolders: topLevelAnchorHolders(doc.contents), yamlErrors };
}

/**
 * YAML errors after which the document is still whole, so the rest of the config is checked too:
 * a key written twice, an unknown escape in a double-quoted string, an
 * over-long implicit key. After any other (bad indentation, an unclosed bracket) the tree is a
 * guess, and checking it would report problems that are not there.
 */
const READABLE_AFTER: readonly string[] = ['DUPLICATE_KEY', 'BAD_DQ_ESCAPE', 'KEY_OVER_1024_CHARS'];

/**
 * Duplicate keys are errors, except `<<`: CircleCI accepts several merge keys in one map
 * (`<<: *defaults` then `<<: *filters`) and merges them in order, see {@link mergeInOrder}.
 */
function sameKeyExceptMerge(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isScalar(a) || !isScalar(b) || a.value !== b.value) return false;
  return a.value !== '<<';
}

function topLevelAnchorHolders(contents: unknown): ReadonlySet<string> {
  const holders = new Set<string>();
  if (!isMap(contents)) return holders;
  for (const pair of contents.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== 'string' || pair.value === null) continue;
    let anchored = false;
    visit(pair.value as YamlNode, (_key, node) => {
      if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) {
        anchored = true;
        return visit.BREAK;
      }
      return undefined;
    });
    if (anchored) holders.add(pair.key.value);
  }
  return holders;
}

function fail(at: Position, message: string): YamlParseResult {
  return { ok: false, errors: [{ line: at.line, column: at.column, path: '', message }] };
}

function describeYamlError(error: YAMLError, text: string): string {
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^[^\n:]*/.exec(text.slice(error.pos[0], error.pos[0] + 200))?.[0].trim() ?? '';
    return `invalid YAML: duplicate key ${JSON.stringify(key)}; each key may appear only once in a map (merge the two, or rename one)`;
  }
  return `invalid YAML: ${firstLine(error.message)}`;
}

// yaml's pretty messages append a code excerpt after the first line; the position is separate.
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

class Converter {
  readonly errors: ConfigError[] = [];
  firstAliasAt: Position | undefined;
  readonly #done = new Map<YamlNode, YNode>();
  readonly #inProgress = new Set<YamlNode>();

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  pos(node: { range?: readonly [number, number, number] | null }): Position {
    const at = this.lineCounter.linePos(node.range?.[0] ?? 0);
    return { line: Math.max(1, at.line), column: Math.max(1, at.col) };
  }

  convert(node: unknown, path: string): YNode {
    if (isAlias(node)) return this.convertAlias(node, path);
    const known = node as YamlNode;
    const done = this.#done.get(known);
    if (done) return done;
    if (this.#inProgress.has(known))
      return this.broken(known, path, 'this alias refers to a node that contains it; YAML anchors cannot be recursive');
    this.#inProgress.add(known);
    const result = this.convertFresh(node, path);
    this.#inProgress.delete(known);
    this.#done.set(known, result);
    return result;
  }

  convertAlias(node: Alias, path: string): YNode {
    const at = this.pos(node);
    this.firstAliasAt ??= at;
    const target = node.resolve(this.doc);
    if (target === undefined)
      return this.broken(
        node,
        path,
        `alias *${node.source} refers to no anchor; define &${node.source} before using it`,
      );
    return this.convert(target, path);
  }

  convertFresh(node: unknown, path: string): YNode {
    if (isScalar(node)) {
      const value = node.value;
      if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        return {
          kind: 'scalar',
          pos: this.pos(node),
          value,
          text: node.source ?? (value === null ? '' : String(value)),
        };
      }
      return this.broken(
        node,
        path,
        `unsupported YAML value${node.tag ? ` with tag ${node.tag}` : ''}; use a plain string, number or boolean`,
      );
    }
    if (isSeq(node))
      return {
        kind: 'seq',
        pos: this.pos(node),
        items: node.items.map((item, i) => this.convert(item, `${path}[${i}]`)),
      };
    if (isMap(node)) return { kind: 'map', pos: this.pos(node), entries: this.convertEntries(node.items, path) };
    return this.broken(node as YamlNode, path, 'unsupported YAML node');
  }

  convertEntries(pairs: readonly { key: unknown; value: unknown }[], path: string): YEntry[] {
    const explicit: YEntry[] = [];
    const merged: YEntry[][] = [];
    for (const pair of pairs) {
      const key = this.convert(pair.key, path);
      const keyText = key.kind === 'scalar' && key.value !== null ? key.text : undefined;
      if (keyText === undefined) {
        this.errors.push({
          line: key.pos.line,
          column: key.pos.column,
          path,
          message: 'map keys must be plain strings',
        });
        continue;
      }
      const entryPath = path === '' ? keyText : `${path}.${keyText}`;
      const value =
        pair.value === null
          ? { kind: 'scalar' as const, pos: key.pos, value: null, text: '' }
          : this.convert(pair.value, entryPath);
      if (keyText === '<<' && key.kind === 'scalar' && key.value === '<<')
        merged.push(resolveMergeKey(value, entryPath, this.errors));
      else explicit.push({ key: keyText, keyPos: key.pos, value });
    }
    return [...explicit, ...mergeInOrder(explicit, merged)];
  }

  broken(node: YamlNode, path: string, message: string): YNode {
    const pos = this.pos(node);
    this.errors.push({ line: pos.line, column: pos.column, path, message });
    return { kind: 'scalar', pos, value: null, text: '' };
  }
}

// Explicit keys win over merged ones, and an earlier merge source wins over a later one (YAML 1.1
// merge semantics); with several `<<` keys in one map, the earlier key's sources come first.
function mergeInOrder(explicit: readonly YEntry[], merged: readonly YEntry[][]): YEntry[] {
  const seen = new Set(explicit.map((e) => e.key));
  const out: YEntry[] = [];
  for (const entry of merged.flat()) {
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    out.push(entry);
  }
  return out;
}

function checkExpandedSize(root: YNode, aliasAt: Position): ConfigError | undefined {
  const sizes = new Map<YNode, number>();
  const sizeOf = (node: YNode): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    const children = node.kind === 'map' ? node.entries.map((e) => e.value) : node.kind === 'seq' ? node.items : [];
    const size = children.reduce((sum, child) => Math.min(sum + sizeOf(child), Number.MAX_SAFE_INTEGER), 1);
    sizes.set(node, size);
    return size;
  };
  const total = sizeOf(root);
  if (total <= MAX_EXPANDED_NODES) return undefined;
  return {
    line: aliasAt.line,
    column: aliasAt.column,
    path: '',
    message: `YAML aliases expand this config to more than ${MAX_EXPANDED_NODES} nodes; this looks like an alias bomb. Use fewer nested aliases`,
  };
}
