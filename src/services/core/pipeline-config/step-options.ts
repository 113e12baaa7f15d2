/**
 * Readers for the options map of a built-in step (`save_cache: { key: …, paths: … }`): present,
 * only known keys, required ones there, each of the right shape. Like the other readers they
 * report and return `undefined`, so one push shows every problem.
 */
import { childPath, type ErrorCollector } from './errors.js';
import type { StepWhen } from './model.js';
import { checkKeys, expectMap, readNonEmptyString, readString } from './read-node.js';
import { describeNode, getValue, type YEntry, type YMap, type YNode } from './yaml-node.js';

const WHEN_VALUES: readonly StepWhen[] = ['on_success', 'on_fail', 'always'];

/** {@link StepShape.noWhen} of the steps that, in CircleCI, run only while every earlier step succeeded. */
export const RUNS_ON_SUCCESS = 'in CircleCI it runs only while every step before it succeeded; remove `when`';
/** {@link StepShape.noWhen} of the steps that, in CircleCI, run even after a failed step. */
export const RUNS_ALWAYS = 'in CircleCI it always runs, even after a failed step; remove `when`';

/** What a step's options look like, for reading them and for the messages. */
export interface StepShape {
  /** The step as written, e.g. `save_cache`. */
  readonly step: string;
  readonly keys: readonly string[];
  /** A whole step, shown when the options are missing. */
  readonly example: string;
  /** Why `when` is no option of this step, for steps that do not take it. */
  readonly noWhen?: string;
}

/** The step's options with their keys checked, or `undefined` after reporting. */
export function readStepOptions(
  entry: YEntry,
  path: string,
  shape: StepShape,
  errors: ErrorCollector,
): YMap | undefined {
  if (entry.value.kind === 'scalar' && entry.value.value === null) {
    errors.add(entry.keyPos, path, `the ${shape.step} step needs options, as in \`${shape.example}\``);
    return undefined;
  }
  const map = expectMap(entry.value, path, errors, `the options of ${shape.step}, as in \`${shape.example}\``);
  if (!map) return undefined;
  const when = shape.noWhen === undefined ? undefined : map.entries.find((e) => e.key === 'when');
  if (when) errors.add(when.keyPos, childPath(path, 'when'), `${shape.step} takes no \`when\`: ${shape.noWhen}`);
  const others: YMap = { ...map, entries: map.entries.filter((e) => e !== when) };
  checkKeys(others, path, shape.keys, errors, `a ${shape.step} step`);
  return map;
}

type Reader<T> = (node: YNode, path: string, errors: ErrorCollector) => T | undefined;

/** An option the step cannot do without; its absence is reported with `hint` (what it is, with an example). */
export function requiredOption<T>(
  map: YMap,
  key: string,
  path: string,
  shape: StepShape,
  read: Reader<T>,
  hint: string,
  errors: ErrorCollector,
): T | undefined {
  const node = getValue(map, key);
  if (node === undefined) {
    errors.add(map.pos, path, `${shape.step} needs \`${key}\`: ${hint}`);
    return undefined;
  }
  return read(node, childPath(path, key), errors);
}

/** An option that may be left out. */
export function optionalOption<T>(
  map: YMap,
  key: string,
  path: string,
  read: Reader<T>,
  errors: ErrorCollector,
): T | undefined {
  const node = getValue(map, key);
  return node === undefined ? undefined : read(node, childPath(path, key), errors);
}

/**
 * A list of paths, none empty. One path alone may be written as a string: CircleCI takes it so,
 * and its own demo projects write `paths: "deps"`.
 */
export function readPathList(node: YNode, path: string, errors: ErrorCollector): string[] | undefined {
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    const single = readNonEmptyString(node, path, errors);
    return single === undefined ? undefined : [single];
  }
  if (node.kind !== 'seq') {
    errors.add(node.pos, path, `expected a list of paths, as in \`[node_modules]\`, got ${describeNode(node)}`);
    return undefined;
  }
  if (node.items.length === 0) {
    errors.add(node.pos, path, 'the list of paths is empty; name at least one file or directory');
    return undefined;
  }
  const paths = node.items.map((item, i) => readNonEmptyString(item, `${path}[${i}]`, errors));
  return paths.every((p) => p !== undefined) ? paths : undefined;
}

/** A step's `when`: on_success, on_fail or always. */
export function readWhen(node: YNode, path: string, errors: ErrorCollector): StepWhen | undefined {
  const value = readString(node, path, errors);
  if (value === undefined) return undefined;
  const when = WHEN_VALUES.find((w) => w === value);
  if (when === undefined) errors.add(node.pos, path, `expected one of ${WHEN_VALUES.join(', ')}, got "${value}"`);
  return when;
}
