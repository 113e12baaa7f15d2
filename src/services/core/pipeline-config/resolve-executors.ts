/**
 * Reusable `executors:` (docker only) and how a job picks one: `executor: name`,
 * `executor: { name, ...arguments }`, or its own `docker:` list.
 */
import { childPath, type ErrorCollector, type Position } from './errors.js';
import { substituteIn, type ConfigContext, type ExecutorDefinition } from './context.js';
import { bindArguments, readParameterSpecs } from './parameters.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { describeNode, findEntry, getValue, type YEntry, type YMap, type YNode } from './yaml-node.js';

/** Keys an executor definition can set, which a job using it may override. */
export const EXECUTOR_KEYS = ['docker', 'resource_class', 'working_directory', 'environment', 'shell'] as const;
export const EXECUTOR_DEFINITION_KEYS = [...EXECUTOR_KEYS, 'parameters', 'description'];

/** Reads every executor definition; broken ones are reported and left out. */
export function readExecutorDefinitions(
  node: YNode | undefined,
  errors: ErrorCollector,
): Map<string, ExecutorDefinition> {
  const executors = new Map<string, ExecutorDefinition>();
  const map =
    node === undefined ? undefined : expectMap(node, 'executors', errors, 'a map of executor names to definitions');
  for (const entry of map?.entries ?? []) {
    const path = childPath('executors', entry.key);
    const body = expectMap(entry.value, path, errors, 'an executor definition with `docker`');
    if (!body) continue;
    checkKeys(body, path, EXECUTOR_DEFINITION_KEYS, errors, `executor "${entry.key}"`);
    if (!findEntry(body, 'docker')) {
      if (!['machine', 'macos', 'windows'].some((k) => findEntry(body, k)))
        errors.add(body.pos, path, `executor "${entry.key}" needs \`docker:\`, a list of images`);
      continue;
    }
    const parameters = readParameterSpecs(getValue(body, 'parameters'), childPath(path, 'parameters'), errors);
    executors.set(entry.key, { name: entry.key, parameters, body, path });
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
  const { name, args } = readReference(entry, refPath, ctx.errors) ?? {};
  if (name === undefined || args === undefined) return undefined;
  const executor = ctx.executors.get(name);
  if (!executor) {
    const known =
      ctx.executors.size > 0
        ? `known executors: ${[...ctx.executors.keys()].join(', ')}`
        : 'no executors are defined under `executors:`';
    ctx.errors.add(entry.value.pos, refPath, `unknown executor "${name}"; ${known}`);
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
): { name?: string; args?: readonly YEntry[] } | undefined {
  const { value } = entry;
  if (value.kind === 'scalar') return { name: readNonEmptyString(value, path, errors), args: [] };
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
    args: value.entries.filter((e) => e.key !== 'name'),
  };
}
