/**
 * Small readers that check one node's shape and report a positioned error when it is wrong.
 * Each returns `undefined` after reporting, so callers keep going and collect every problem.
 */
import { childPath, type ErrorCollector } from './errors.js';
import { explainUnsupportedKey } from './unsupported.js';
import { describeNode, type YMap, type YNode, type YScalar } from './yaml-node.js';

/** The node as a map, or `undefined` after reporting what it was instead. */
export function expectMap(node: YNode, path: string, errors: ErrorCollector, what = 'a map'): YMap | undefined {
  if (node.kind === 'map') return node;
  errors.add(node.pos, path, `expected ${what}, got ${describeNode(node)}`);
  return undefined;
}

/** A string scalar's value, or `undefined` after reporting. */
export function readString(node: YNode, path: string, errors: ErrorCollector): string | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
  errors.add(node.pos, path, `expected a string, got ${describeNode(node)}`);
  return undefined;
}

/** A non-empty string, or `undefined` after reporting. */
export function readNonEmptyString(node: YNode, path: string, errors: ErrorCollector): string | undefined {
  const value = readString(node, path, errors);
  if (value === undefined || value.trim() !== '') return value;
  errors.add(node.pos, path, 'must not be empty');
  return undefined;
}

/** A string, number or boolean written as text (as environment values are), or `undefined`. */
export function readScalarText(node: YNode, path: string, errors: ErrorCollector): string | undefined {
  if (isTextScalar(node)) return typeof node.value === 'string' ? node.value : node.text;
  errors.add(node.pos, path, `expected a string, number or boolean, got ${describeNode(node)}`);
  return undefined;
}

function isTextScalar(node: YNode): node is YScalar {
  return node.kind === 'scalar' && node.value !== null;
}

/** A boolean, or `undefined` after reporting. */
export function readBoolean(node: YNode, path: string, errors: ErrorCollector): boolean | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
  errors.add(node.pos, path, `expected true or false, got ${describeNode(node)}`);
  return undefined;
}

/** A string or a list of strings (as `entrypoint` and `command` are), or `undefined`. */
export function readStringOrList(node: YNode, path: string, errors: ErrorCollector): string[] | undefined {
  if (node.kind === 'scalar') {
    const single = readScalarText(node, path, errors);
    return single === undefined ? undefined : [single];
  }
  if (node.kind === 'map') {
    errors.add(node.pos, path, `expected a string or a list of strings, got ${describeNode(node)}`);
    return undefined;
  }
  const values = node.items.map((item, i) => readScalarText(item, `${path}[${i}]`, errors));
  return values.every((v) => v !== undefined) ? values : undefined;
}

/** An `environment` map of names to values, or `undefined` after reporting. */
export function readEnvironment(node: YNode, path: string, errors: ErrorCollector): Record<string, string> | undefined {
  const map = expectMap(node, path, errors, 'a map of variable names to values');
  if (!map) return undefined;
  const env: Record<string, string> = {};
  let ok = true;
  for (const entry of map.entries) {
    const entryPath = childPath(path, entry.key);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.key)) {
      errors.add(
        entry.keyPos,
        entryPath,
        `"${entry.key}" is not a valid environment variable name; use letters, digits and _ and do not start with a digit`,
      );
      ok = false;
      continue;
    }
    const value = readScalarText(entry.value, entryPath, errors);
    if (value === undefined) ok = false;
    else env[entry.key] = value;
  }
  return ok ? env : undefined;
}

/**
 * Reports every key of `map` outside `allowed`: keys Gyre refuses for security, features not
 * supported yet, and plain typos each get their own message.
 */
export function checkKeys(
  map: YMap,
  path: string,
  allowed: readonly string[],
  errors: ErrorCollector,
  where: string,
): void {
  for (const entry of map.entries) {
    if (allowed.includes(entry.key)) continue;
    const explained = explainUnsupportedKey(entry.key, where);
    const message = explained ?? `unknown key "${entry.key}" in ${where}; expected one of: ${allowed.join(', ')}`;
    errors.add(entry.keyPos, childPath(path, entry.key), message);
  }
}
