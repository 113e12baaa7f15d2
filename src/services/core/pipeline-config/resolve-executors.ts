/**
 * Reusable `executors:` (docker or machine) and how a job picks one: `executor: name`,
 * `executor: { name, ...arguments }`, or its own `docker:` list.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
import {
  checkDefinitionName,
  definitionKey,
  substituteIn,
  type ConfigContext,
  type DefinitionPlace,
  type ExecutorDefinition,
} from './context.js';
import { resolveName, visibleNames } from './orb-scopes.js';
import { bindArguments, readParameterSpecs } from './parameters.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { describeNode, findEntry, getValue, type YEntry, type YMap, type YNode } from './yaml-node.js';

/** Keys an executor definition can set, which a job using it may override. */
export const EXECUTOR_KEYS = [
  'docker',
  'machine',
  'resource_class',
  'working_directory',
  'environment',
  'shell',
] as const;
export const EXECUTOR_DEFINITION_KEYS = [...EXECUTOR_KEYS, 'parameters', 'description'];

/** Reads every executor definition at `place`; broken ones are reported and left out. */
export function readExecutorDefinitions(
  node: YNode | undefined,
  errors: ErrorCollector,
  place: DefinitionPlace = { path: 'executors' },
): Map<string, ExecutorDefinition> {
  const executors = new Map<string, ExecutorDefinition>();
  const map =
    node === undefined ? undefined : expectMap(node, place.path, errors, 'a map of executor names to definitions');
  for (const entry of map?.entries ?? []) {
    const path = childPath(place.path, entry.key);
    if (!checkDefinitionName(entry.key, entry.keyPos, path, errors)) continue;
    const body = expectMap(entry.value, path, errors, 'an executor definition with `docker` or `machine`');
    if (!body) continue;
    checkKeys(body, path, EXECUTOR_DEFINITION_KEYS, errors, `executor "${entry.key}"`);
    if (!findEntry(body, 'docker') && !findEntry(body, 'machine')) {
      if (!['macos', 'windows'].some((k) => findEntry(body, k)))
        errors.add(body.pos, path, `executor "${entry.key}" needs \`docker:\`, a list of images, or \`machine:\``);
      continue;
    }
    const parameters = readParameterSpecs(getValue(body, 'parameters'), childPath(path, 'parameters'), errors);
    const key = definitionKey(place, entry.key);
    executors.set(key, { name: key, parameters, body, path });
  }
  return executors;
}

/** A named executor's body with its arguments substituted, and where it is written, for errors. */
export interface ResolvedExecutor {
  readonly body: YMap;
  readonly path: string;
}

/** Where a job's executor settings come from: the named executor's (substituted) body, if any. */
export function resolveExecutorReference(job: YMap, path: string, ctx: ConfigContext): ResolvedExecutor | undefined {
  const entry = findEntry(job, 'executor');
  if (!entry) return undefined;
  const refPath = childPath(path, 'executor');
  if (findEntry(job, 'docker'))
    ctx.errors.add(entry.keyPos, refPath, 'a job uses either `executor` or `docker`, not both');
  const { name, at, args } = readReference(entry, refPath, ctx.errors) ?? {};
  if (name === undefined || at === undefined || args === undefined) return undefined;
  const resolved = resolveName(name, at, ctx.orbScopes);
  const executor = 'key' in resolved ? ctx.executors.get(resolved.key) : undefined;
  if ('reported' in resolved) return undefined;
  if (!executor) {
    const names = visibleNames(ctx.executors.keys(), at, ctx.orbScopes);
    const known =
      names.length > 0 ? `known executors: ${names.join(', ')}` : 'no executors are defined under `executors:`';
    ctx.errors.add(at, refPath, 'problem' in resolved ? resolved.problem : `unknown executor "${name}"; ${known}`);
    return undefined;
  }
  return instantiateExecutor(executor, args, entry.value.pos, refPath, ctx);
}

/**
 * An executor's body with `args` bound to its parameters; undefined after reporting. `at` and
 * `argsPath` locate the arguments, where argument errors are reported.
 */
export function instantiateExecutor(
  executor: ExecutorDefinition,
  args: readonly YEntry[],
  at: Position,
  argsPath: string,
  ctx: ConfigContext,
): ResolvedExecutor | undefined {
  const owner = `executor "${executor.name}"`;
  const values = bindArguments(executor.parameters, args, at, argsPath, owner, ctx.errors);
  if (!values) return undefined;
  const withoutDecl: YMap = {
    ...executor.body,
    entries: executor.body.entries.filter((e) => e.key !== 'parameters' && e.key !== 'description'),
  };
  const body = substituteIn(ctx, withoutDecl, values, owner, executor.path);
  return body.kind === 'map' ? { body, path: executor.path } : undefined;
}

function readReference(
  entry: YEntry,
  path: string,
  errors: ErrorCollector,
): { name?: string; at?: Position; args?: readonly YEntry[] } | undefined {
  const { value } = entry;
  if (value.kind === 'scalar') return { name: readNonEmptyString(value, path, errors), at: value.pos, args: [] };
  if (value.kind !== 'map') {
    errors.add(value.pos, path, `expected an executor name or a map with \`name\`, got ${describeNode(value)}`);
    return undefined;
  }
  const nameNode = getValue(value, 'name');
  if (!nameNode) {
    errors.add(value.pos, path, 'an executor map needs `name`: the executor to use');
    return undefined;
  }
  return {
    name: readNonEmptyString(nameNode, childPath(path, 'name'), errors),
    at: nameNode.pos,
    args: value.entries.filter((e) => e.key !== 'name'),
  };
}
