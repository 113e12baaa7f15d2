/**
 * Turns a job's `steps:` into {@link Step}s: built-in steps are read, reusable commands are
 * expanded in place (with their arguments substituted), and everything else is reported.
 * Parameters in a command's steps are substituted before its steps are read here, so they work
 * in every step's options alike.
 */
import { childPath, itemPath } from './errors.js';
import { BUILT_IN_STEPS } from './commands.js';
import { substituteIn, type CommandDefinition, type ConfigContext } from './context.js';
import { DATA_STEPS, LEGACY_DATA_STEPS } from './data-steps.js';
import type { Step } from './model.js';
import { bindArguments } from './parameters.js';
import { checkKeys, expectMap, readNonEmptyString } from './read-node.js';
import { evaluateCondition } from './logic.js';
import { resolveName, visibleNames } from './orb-scopes.js';
import { readRunStep } from './run-step.js';
import { readAddSshKeys } from './ssh-keys-step.js';
import { readSetupRemoteDocker } from './remote-docker-step.js';
import { describeNode, getValue, type YEntry, type YNode } from './yaml-node.js';

export const CONDITIONAL_STEP_KEYS = ['condition', 'steps'];
export const CHECKOUT_KEYS = ['path'];

/** Reads a list of steps. `calling` holds the commands being expanded, to catch recursion. */
export function readSteps(node: YNode, path: string, ctx: ConfigContext, calling: readonly string[] = []): Step[] {
  if (node.kind !== 'seq') {
    ctx.errors.add(node.pos, path, `expected a list of steps, got ${describeNode(node)}`);
    return [];
  }
  return node.items.flatMap((item, i) => readStep(item, itemPath(path, i), ctx, calling));
}

function readStep(node: YNode, path: string, ctx: ConfigContext, calling: readonly string[]): Step[] {
  if (node.kind === 'scalar' && typeof node.value === 'string') {
    return readNamedStep(
      { key: node.value, keyPos: node.pos, value: { kind: 'scalar', pos: node.pos, value: null, text: '' } },
      path,
      ctx,
      calling,
    );
  }
  const map = expectMap(node, path, ctx.errors, 'a step: a step name, or a map with one key naming the step');
  if (!map) return [];
  const [first, second] = map.entries;
  if (first === undefined || second !== undefined) {
    const keys = map.entries.map((e) => e.key).join(', ');
    ctx.errors.add(
      second?.keyPos ?? map.pos,
      path,
      `a step is a map with exactly one key, the step name; got ${map.entries.length} keys (${keys}). Check the indentation of the step's options`,
    );
    return [];
  }
  return readNamedStep(first, childPath(path, first.key), ctx, calling);
}

function readNamedStep(entry: YEntry, path: string, ctx: ConfigContext, calling: readonly string[]): Step[] {
  const { key, value } = entry;
  if (key === 'checkout') return readCheckout(value, path, ctx);
  if (key === 'run' || key === 'deploy') return readRun(entry, key, path, ctx);
  if (key === 'when' || key === 'unless') return readConditional(entry, key, path, ctx, calling);
  if (key === 'add_ssh_keys') return [readAddSshKeys(entry, path, ctx.errors)].filter((step) => step !== undefined);
  if (key === 'setup_remote_docker')
    return [readSetupRemoteDocker(entry, path, ctx.errors)].filter((step) => step !== undefined);
  // `- steps: << parameters.after-deps >>`, CircleCI's way to splice a steps parameter in.
  if (key === 'steps') return readSteps(value, childPath(path, 'steps'), ctx, calling);
  const resolved = resolveName(key, entry.keyPos, ctx.orbScopes);
  const command = 'key' in resolved ? ctx.commands.get(resolved.key) : undefined;
  if (command) return expandCommand(command, entry, path, ctx, calling);
  const readDataStep = DATA_STEPS.get(key) ?? LEGACY_DATA_STEPS.get(key);
  if (readDataStep) {
    const step = readDataStep(entry, path, ctx.errors);
    return step ? [step] : [];
  }
  const known = [...BUILT_IN_STEPS, ...visibleNames(ctx.commands.keys(), entry.keyPos, ctx.orbScopes)].join(', ');
  if ('reported' in resolved) return [];
  const problem = 'problem' in resolved ? resolved.problem : `unknown step "${key}"; expected one of: ${known}`;
  ctx.errors.add(entry.keyPos, path, problem);
  return [];
}

/**
 * `- when: { condition, steps }` and `- unless: ...`: the steps are spliced in when the condition
 * holds (does not, for `unless`). Only those are read: steps of the branch not taken may name
 * what this pipeline lacks, and CircleCI drops them unread too.
 */
function readConditional(
  entry: YEntry,
  key: 'when' | 'unless',
  path: string,
  ctx: ConfigContext,
  calling: readonly string[],
): Step[] {
  const map = expectMap(entry.value, path, ctx.errors, `a map with \`condition\` and \`steps\``);
  if (!map) return [];
  const what = key === 'when' ? 'a when step' : 'an unless step';
  checkKeys(map, path, CONDITIONAL_STEP_KEYS, ctx.errors, what);
  const condition = getValue(map, 'condition');
  const steps = getValue(map, 'steps');
  if (condition === undefined || steps === undefined) {
    const missing = condition === undefined ? 'condition' : 'steps';
    ctx.errors.add(map.pos, path, `${what} needs \`${missing}\`: \`condition\` and the \`steps\` it guards`);
    return [];
  }
  const holds = evaluateCondition(condition, childPath(path, 'condition'), ctx.errors);
  if (holds === undefined || holds !== (key === 'when')) return [];
  return readSteps(steps, childPath(path, 'steps'), ctx, calling);
}

/**
 * `run`, and `deploy`, which CircleCI runs exactly like `run` (it differs only with parallelism
 * above 1, which Gyre refuses) and has deprecated; a warning suggests renaming it.
 */
function readRun(entry: YEntry, key: 'run' | 'deploy', path: string, ctx: ConfigContext): Step[] {
  const { value } = entry;
  if (value.kind === 'scalar' && value.value === null) {
    ctx.errors.add(
      entry.keyPos,
      path,
      `a ${key} step needs a command: \`- ${key}: make test\` or a map with \`command\``,
    );
    return [];
  }
  if (key === 'deploy')
    ctx.errors.warn(
      entry.keyPos,
      path,
      'the deploy step runs as a run step with the same options; CircleCI has deprecated it, so rename it to `run`',
    );
  const step = readRunStep(value, path, ctx.errors, key);
  return step ? [step] : [];
}

function readCheckout(value: YNode, path: string, ctx: ConfigContext): Step[] {
  if (value.kind === 'scalar' && value.value === null) return [{ type: 'checkout' }];
  const map = expectMap(value, path, ctx.errors, 'nothing, or a map with `path`');
  if (!map) return [];
  checkKeys(map, path, CHECKOUT_KEYS, ctx.errors, 'a checkout step');
  const pathNode = getValue(map, 'path');
  const target = pathNode && readNonEmptyString(pathNode, childPath(path, 'path'), ctx.errors);
  return [target === undefined ? { type: 'checkout' } : { type: 'checkout', path: target }];
}

function expandCommand(
  command: CommandDefinition,
  entry: YEntry,
  path: string,
  ctx: ConfigContext,
  calling: readonly string[],
): Step[] {
  if (calling.includes(command.name)) {
    ctx.errors.add(
      entry.keyPos,
      path,
      `command "${command.name}" calls itself (${[...calling, command.name].join(' → ')}); commands cannot be recursive`,
    );
    return [];
  }
  const isBare = entry.value.kind === 'scalar' && entry.value.value === null;
  const args = isBare
    ? []
    : expectMap(entry.value, path, ctx.errors, `the arguments of command "${command.name}" as a map`)?.entries;
  if (!args) return [];
  const values = bindArguments(command.parameters, args, entry.keyPos, path, `command "${command.name}"`, ctx.errors);
  if (!values) return [];
  const steps = substituteIn(ctx, command.steps, values, `command "${command.name}"`, childPath(command.path, 'steps'));
  return readSteps(steps, childPath(command.path, 'steps'), ctx, [...calling, command.name]);
}
