/**
 * Small readers that check one node's shape and report a positioned error when it is wrong.
 * Each returns `undefined` after reporting, so callers keep going and collect every problem.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
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

/**
 * An `environment` (of a job, executor, image or step), or `undefined` after reporting. CircleCI
 * takes it in any of these forms, and so does Gyre:
 * - a map, `FOO: bar`; a key without a value (`FOO:`) is the empty string;
 * - a list of one-key maps, `- FOO: bar`;
 * - a list of `KEY=VALUE` strings, `- FOO=bar` (split at the first `=`);
 * - nothing at all (`environment:` alone), which sets no variable.
 * Names may contain dots (`spring.profiles.active`), which Java tools read from the environment.
 * A name given twice keeps its last value, as in a shell.
 */
export function readEnvironment(node: YNode, path: string, errors: ErrorCollector): Record<string, string> | undefined {
  if (node.kind === 'scalar' && node.value === null) return {};
  if (node.kind === 'scalar') {
    errors.add(node.pos, path, `expected ${ENV_SHAPES}, got ${describeNode(node)}`);
    return undefined;
  }
  const env: Record<string, string> = {};
  const before = errors.count;
  if (node.kind === 'map') readEnvironmentMap(node, path, env, errors);
  else node.items.forEach((item, i) => readEnvironmentItem(item, `${path}[${i}]`, env, errors));
  return errors.count === before ? env : undefined;
}

const ENV_SHAPES = 'a map of variable names to values, or a list of `NAME=value` strings or `NAME: value` maps';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function readEnvironmentMap(map: YMap, path: string, env: Record<string, string>, errors: ErrorCollector): void {
  for (const entry of map.entries) {
    const entryPath = childPath(path, entry.key);
    if (!checkEnvName(entry.key, entry.keyPos, entryPath, errors)) continue;
    const value =
      entry.value.kind === 'scalar' && entry.value.value === null ? '' : readScalarText(entry.value, entryPath, errors);
    if (value !== undefined) env[entry.key] = value;
  }
}

function readEnvironmentItem(item: YNode, path: string, env: Record<string, string>, errors: ErrorCollector): void {
  if (item.kind === 'map') {
    readEnvironmentMap(item, path, env, errors);
    return;
  }
  const text = item.kind === 'scalar' && typeof item.value === 'string' ? item.value : undefined;
  const equals = text?.indexOf('=') ?? -1;
  if (text !== undefined && equals < 0 && ENV_NAME.test(text)) {
    errors.add(item.pos, path, `"${text}" has no value; write \`${text}=value\`, or \`${text}=\` for the empty string`);
    return;
  }
  if (text === undefined || equals < 0) {
    errors.add(item.pos, path, `expected \`NAME=value\` or \`NAME: value\`, got ${describeNode(item)}`);
    return;
  }
  const name = text.slice(0, equals);
  if (checkEnvName(name, item.pos, path, errors)) env[name] = text.slice(equals + 1);
}

function checkEnvName(name: string, at: Position, path: string, errors: ErrorCollector): boolean {
  if (ENV_NAME.test(name)) return true;
  errors.add(
    at,
    path,
    `"${name}" is not a valid environment variable name; use letters, digits, _ and . and do not start with a digit`,
  );
  return false;
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
