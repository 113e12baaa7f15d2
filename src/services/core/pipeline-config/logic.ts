/**
 * CircleCI's logic statements, for a workflow's `when`/`unless` and the `when`/`unless` steps.
 * They are decided when the config is read, as CircleCI decides them when it compiles a config:
 * by then every `<< parameters.x >>`, `<< pipeline.parameters.x >>` and `<< pipeline.* >>` in
 * them has been substituted.
 *
 * As CircleCI's configuration reference defines them: `and` (all truthy) and `or` (any truthy)
 * take a non-empty list of statements, `not` one statement, `equal` a non-empty list of values
 * (true when all are equal, types included: `42` is not `"42"`), `matches` a `pattern` (a regular
 * expression the whole `value` must match) and a `value`. Any other value is a literal: `false`,
 * `null`, `0`, NaN and `""` are falsy, everything else is truthy. Nesting stops at 100 levels.
 */
import { childPath, itemPath, type ErrorCollector } from './errors.js';
import { RegexTimeoutError } from './bounded-regex.js';
import { matchesPattern, regexProblem } from './filters.js';
import { checkKeys, expectMap } from './read-node.js';
import { describeNode, getValue, type YMap, type YNode } from './yaml-node.js';

const STATEMENTS = ['and', 'or', 'not', 'equal', 'matches'] as const;
const MAX_DEPTH = 100;

/** Whether `node` holds; `undefined` when it is not a valid statement (the errors say why). */
export function evaluateCondition(node: YNode, path: string, errors: ErrorCollector): boolean | undefined {
  return evaluate(node, path, errors, 0);
}

function evaluate(node: YNode, path: string, errors: ErrorCollector, depth: number): boolean | undefined {
  if (depth > MAX_DEPTH) {
    errors.add(node.pos, path, `logic statements nest at most ${MAX_DEPTH} levels deep`);
    return undefined;
  }
  if (node.kind === 'scalar') return isTruthy(node.value);
  if (node.kind === 'seq') return node.items.length > 0;
  const [statement, extra] = node.entries;
  if (statement === undefined || extra !== undefined || !(STATEMENTS as readonly string[]).includes(statement.key)) {
    errors.add(
      (extra ?? statement)?.keyPos ?? node.pos,
      path,
      `expected a logic statement: a map with one key, one of ${STATEMENTS.join(', ')}; got ${
        node.entries.length === 0 ? 'an empty map' : `the keys ${node.entries.map((e) => e.key).join(', ')}`
      }`,
    );
    return undefined;
  }
  const at = childPath(path, statement.key);
  const { value } = statement;
  switch (statement.key) {
    case 'not': {
      const result = evaluate(value, at, errors, depth + 1);
      return result === undefined ? undefined : !result;
    }
    case 'and':
    case 'or': {
      const items = argumentList(value, at, errors, 'logic statements');
      if (items === undefined) return undefined;
      // Every argument is evaluated, so every mistake in them is reported at once.
      const results = items.map((item, i) => evaluate(item, itemPath(at, i), errors, depth + 1));
      if (results.includes(undefined)) return undefined;
      return statement.key === 'and' ? results.every(Boolean) : results.some(Boolean);
    }
    case 'equal': {
      const items = argumentList(value, at, errors, 'values');
      return items?.every((item) => sameValue(item, items[0] ?? item));
    }
    default:
      return matches(value, at, errors);
  }
}

/** CircleCI's falsy values: false, null, 0, NaN and the empty string. */
function isTruthy(value: string | number | boolean | null): boolean {
  return !(value === false || value === null || value === 0 || value === '' || Number.isNaN(value));
}

function argumentList(node: YNode, path: string, errors: ErrorCollector, what: string): readonly YNode[] | undefined {
  if (node.kind === 'seq' && node.items.length > 0) return node.items;
  errors.add(node.pos, path, `expected a non-empty list of ${what}, got ${describeNode(node)}`);
  return undefined;
}

/** Equality of YAML values: same type and value for scalars, the same structure otherwise. */
function sameValue(a: YNode, b: YNode): boolean {
  if (a.kind === 'scalar' || b.kind === 'scalar')
    return a.kind === 'scalar' && b.kind === 'scalar' && Object.is(a.value, b.value);
  if (a.kind === 'seq' || b.kind === 'seq')
    return (
      a.kind === 'seq' &&
      b.kind === 'seq' &&
      a.items.length === b.items.length &&
      a.items.every((item, i) => sameValue(item, b.items[i] ?? item))
    );
  return (
    a.entries.length === b.entries.length &&
    a.entries.every((entry) => {
      const other = getValue(b, entry.key);
      return other !== undefined && sameValue(entry.value, other);
    })
  );
}

function matches(node: YNode, path: string, errors: ErrorCollector): boolean | undefined {
  const map = expectMap(node, path, errors, 'a map with `pattern` and `value`');
  if (!map) return undefined;
  checkKeys(map, path, ['pattern', 'value'], errors, 'a matches statement');
  const pattern = scalarText(map, 'pattern', path, errors);
  const value = scalarText(map, 'value', path, errors);
  if (pattern === undefined || value === undefined) return undefined;
  // CircleCI takes Java regular expressions and needs the whole value to match, as branch filters do.
  const problem = regexProblem(pattern.text);
  if (problem !== undefined) {
    errors.add(pattern.at, childPath(path, 'pattern'), `not a valid regular expression: ${problem}`);
    return undefined;
  }
  try {
    return matchesPattern({ kind: 'regex', source: pattern.text }, value.text);
  } catch (error) {
    if (!(error instanceof RegexTimeoutError)) throw error;
    errors.add(pattern.at, childPath(path, 'pattern'), error.message);
    return undefined;
  }
}

function scalarText(
  map: YMap,
  key: 'pattern' | 'value',
  path: string,
  errors: ErrorCollector,
): { text: string; at: YNode['pos'] } | undefined {
  const node = getValue(map, key);
  if (node?.kind === 'scalar' && node.value !== null)
    return { text: typeof node.value === 'string' ? node.value : node.text, at: node.pos };
  errors.add(node?.pos ?? map.pos, childPath(path, key), `a matches statement needs \`${key}\`, a string`);
  return undefined;
}
