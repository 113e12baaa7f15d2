/**
 * `matrix:` on a workflow job: the job is invoked once for each combination of the listed
 * parameter values, less the combinations `exclude` lists, as CircleCI's configuration reference
 * describes it.
 *
 *     - test:
 *         matrix:
 *           parameters:
 *             os: [linux, alpine]
 *             node: ["18", "20"]
 *           exclude:
 *             - { os: alpine, node: "18" }
 *           alias: all-tests     # `requires: [all-tests]` waits for every one; default: the job's key
 *
 * Parameters are taken in the alphabetical order of their names, for the order of the instances
 * and for their names: without a `name:`, an instance is called `<job>-<value>-<value>…`. So
 * CircleCI's reference expands `version: [0.1, …]`, `platform: [macos, …]` into `build-macos-0.1`,
 * `build-macos-0.2`, … and its matrix guide expands `os`, `node-version` into `test-14.17.6-docker`.
 * `<< matrix.x >>` in the invocation (its `name`, `requires`, arguments) is the instance's value.
 */
import { childPath, itemPath, type ErrorCollector } from './errors.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { describeNode, getValue, type YEntry, type YNode, type YScalar } from './yaml-node.js';

export const MATRIX_KEYS = ['parameters', 'exclude', 'alias'];

/** One combination of matrix values. */
export interface MatrixInstance {
  /** The values as arguments of the invocation. */
  readonly args: readonly YEntry[];
  /** CircleCI's suffix for the generated name: the values by parameter name, joined by `-`. */
  readonly suffix: string;
}

/** A read `matrix:`. */
export interface Matrix {
  /** What `requires` may name to wait for every instance, if the matrix set one. */
  readonly alias?: string;
  readonly instances: readonly MatrixInstance[];
}

/** Reads `matrix:`, or returns `undefined` after reporting every problem in it. */
export function readMatrix(node: YNode, path: string, errors: ErrorCollector): Matrix | undefined {
  const map = expectMap(node, path, errors, 'a map with `parameters:` (and optionally `exclude:` and `alias:`)');
  if (!map) return undefined;
  const before = errors.count;
  checkKeys(map, path, MATRIX_KEYS, errors, '`matrix`');
  const axes = readAxes(getValue(map, 'parameters'), map.pos, childPath(path, 'parameters'), errors);
  const aliasNode = getValue(map, 'alias');
  const alias = aliasNode && readNonEmptyString(aliasNode, childPath(path, 'alias'), errors);
  const excluded = axes && readExcludes(getValue(map, 'exclude'), axes, childPath(path, 'exclude'), errors);
  if (!axes || !excluded || errors.count !== before) return undefined;
  const byName = [...axes.keys()].sort();
  const instances = crossProduct(axes, byName).filter((combo) => !excluded.some((ex) => matchesAll(ex, combo)));
  if (instances.length === 0) {
    errors.add(map.pos, path, '`exclude` removes every combination of the matrix, so the job would never run');
    return undefined;
  }
  return {
    ...(alias !== undefined && { alias }),
    instances: instances.map((combo) => ({
      args: [...combo.values()],
      suffix: byName.map((name) => valueText(combo.get(name)?.value)).join('-'),
    })),
  };
}

type Axes = ReadonlyMap<string, readonly YEntry[]>;
type Combination = ReadonlyMap<string, YEntry>;

/** `parameters:`: each name with the values it takes, each value kept as the argument it becomes. */
function readAxes(node: YNode | undefined, at: YNode['pos'], path: string, errors: ErrorCollector): Axes | undefined {
  if (node === undefined) {
    errors.add(at, path, '`matrix` needs `parameters:`, a map of job parameter names to lists of values');
    return undefined;
  }
  const map = expectMap(node, path, errors, 'a map of job parameter names to lists of values');
  if (!map) return undefined;
  if (map.entries.length === 0) errors.add(map.pos, path, '`matrix.parameters` names no parameter; add at least one');
  const axes = new Map<string, YEntry[]>();
  for (const entry of map.entries) {
    const at = childPath(path, entry.key);
    const items = entry.value.kind === 'seq' ? entry.value.items : [entry.value];
    if (items.length === 0) errors.add(entry.value.pos, at, `"${entry.key}" lists no values; give at least one`);
    const values = items.filter((item, i) => isValue(item, entry.value.kind === 'seq' ? itemPath(at, i) : at, errors));
    axes.set(
      entry.key,
      values.map((value) => ({ key: entry.key, keyPos: entry.keyPos, value })),
    );
  }
  return axes;
}

function isValue(node: YNode, path: string, errors: ErrorCollector): node is YScalar {
  if (node.kind === 'scalar' && node.value !== null) return true;
  errors.add(node.pos, path, `a matrix value must be a string, number or boolean, got ${describeNode(node)}`);
  return false;
}

/** `exclude:`: combinations, each written as a map of parameter name to value. */
function readExcludes(
  node: YNode | undefined,
  axes: Axes,
  path: string,
  errors: ErrorCollector,
): ReadonlyMap<string, string>[] | undefined {
  if (node === undefined) return [];
  if (node.kind !== 'seq') {
    errors.add(node.pos, path, 'expected a list of parameter maps, e.g. `exclude: [{ os: alpine, node: "18" }]`');
    return undefined;
  }
  return node.items.flatMap((item, i) => {
    const at = itemPath(path, i);
    const map = expectMap(item, at, errors, 'a map of matrix parameter names to the values to leave out');
    if (!map) return [];
    const combo = new Map<string, string>();
    for (const entry of map.entries) {
      if (!axes.has(entry.key))
        errors.add(
          entry.keyPos,
          childPath(at, entry.key),
          `"${entry.key}" is not a parameter of this matrix; it has: ${[...axes.keys()].join(', ')}`,
        );
      else if (isValue(entry.value, childPath(at, entry.key), errors)) combo.set(entry.key, entry.value.text);
    }
    return [combo];
  });
}

/** Every combination; the first of `names` varies slowest. */
function crossProduct(axes: Axes, names: readonly string[]): Combination[] {
  let combos: Combination[] = [new Map()];
  for (const name of names)
    combos = combos.flatMap((combo) => (axes.get(name) ?? []).map((value) => new Map([...combo, [name, value]])));
  return combos;
}

/** An `exclude` entry leaves out every combination that has all of its values. */
function matchesAll(excluded: ReadonlyMap<string, string>, combo: Combination): boolean {
  return [...excluded].every(([name, text]) => {
    const value = combo.get(name)?.value;
    return value?.kind === 'scalar' && value.text === text;
  });
}

function valueText(node: YNode | undefined): string {
  return node?.kind === 'scalar' ? node.text : '';
}
