/** Reads reusable `commands:` (2.1). Their steps are validated where they are invoked. */
import { childPath, type ErrorCollector } from './errors.js';
import { checkDefinitionName, definitionKey, type CommandDefinition, type DefinitionPlace } from './context.js';
import { DATA_STEPS } from './data-steps.js';
import { readParameterSpecs } from './parameters.js';
import { checkKeys, expectMap } from './read-node.js';
import { getValue, type YNode } from './yaml-node.js';

/** Step names a command may not take, because they already mean a built-in step. */
export const BUILT_IN_STEPS: readonly string[] = [
  'checkout',
  'run',
  'deploy',
  'when',
  'unless',
  'steps',
  'add_ssh_keys',
  'setup_remote_docker',
  ...DATA_STEPS.keys(),
];

export const COMMAND_KEYS = ['steps', 'parameters', 'description'];

/** Reads every command definition at `place`; broken ones are reported and left out. */
export function readCommandDefinitions(
  node: YNode | undefined,
  errors: ErrorCollector,
  place: DefinitionPlace = { path: 'commands' },
): Map<string, CommandDefinition> {
  const commands = new Map<string, CommandDefinition>();
  const map =
    node === undefined ? undefined : expectMap(node, place.path, errors, 'a map of command names to definitions');
  for (const entry of map?.entries ?? []) {
    const path = childPath(place.path, entry.key);
    if (!checkDefinitionName(entry.key, entry.keyPos, path, errors)) continue;
    if (BUILT_IN_STEPS.includes(entry.key)) {
      errors.add(
        entry.keyPos,
        path,
        `a command cannot be named "${entry.key}": that is a built-in step; rename the command`,
      );
      continue;
    }
    const body = expectMap(entry.value, path, errors, 'a command definition with `steps`');
    if (!body) continue;
    checkKeys(body, path, COMMAND_KEYS, errors, `command "${entry.key}"`);
    const steps = getValue(body, 'steps');
    if (!steps) {
      errors.add(body.pos, path, `command "${entry.key}" needs \`steps\`: a list of steps`);
      continue;
    }
    const parameters = readParameterSpecs(getValue(body, 'parameters'), childPath(path, 'parameters'), errors);
    const key = definitionKey(place, entry.key);
    commands.set(key, { name: key, parameters, steps, path });
  }
  return commands;
}
