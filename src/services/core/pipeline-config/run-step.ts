/** The `run` step (and `deploy`, which takes the same options), as a string or as a map. */
import { childPath, type ErrorCollector } from './errors.js';
import { parseDuration } from '../../../shared/durations.js';
import type { RunStep } from './model.js';
import { checkKeys, expectMap, readBoolean, readEnvironment, readNonEmptyString } from './read-node.js';
import { readWhen } from './step-options.js';
import { getValue, type YMap, type YNode } from './yaml-node.js';

/** CircleCI's default `no_output_timeout`. */
export const DEFAULT_NO_OUTPUT_TIMEOUT_MS = 10 * 60_000;
export const RUN_KEYS = [
  'command',
  'name',
  'shell',
  'environment',
  'working_directory',
  'background',
  'no_output_timeout',
  'when',
];

/** Reads a `run:` (or `deploy:`, named by `step` in messages) step's value. */
export function readRunStep(
  node: YNode,
  path: string,
  errors: ErrorCollector,
  stepName: 'run' | 'deploy' = 'run',
): RunStep | undefined {
  if (node.kind === 'scalar') {
    const command = readNonEmptyString(node, path, errors);
    return command === undefined ? undefined : { ...runDefaults(command) };
  }
  const map = expectMap(node, path, errors, 'a command string or a map with `command`');
  return map ? readRunMap(map, path, errors, stepName) : undefined;
}

function runDefaults(command: string): RunStep {
  return {
    type: 'run',
    name: defaultName(command),
    command,
    environment: {},
    background: false,
    noOutputTimeoutMs: DEFAULT_NO_OUTPUT_TIMEOUT_MS,
    when: 'on_success',
  };
}

// CircleCI shows an unnamed step by its command; the first line is enough to recognise it.
function defaultName(command: string): string {
  return (
    command
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? command
  );
}

function readRunMap(map: YMap, path: string, errors: ErrorCollector, stepName: 'run' | 'deploy'): RunStep | undefined {
  const before = errors.count;
  checkKeys(map, path, RUN_KEYS, errors, `a ${stepName} step`);
  const commandNode = getValue(map, 'command');
  if (!commandNode) {
    errors.add(map.pos, path, `a ${stepName} step needs \`command\`: the shell command to run`);
    return undefined;
  }
  const command = readNonEmptyString(commandNode, childPath(path, 'command'), errors);
  const field = <T>(key: string, read: (n: YNode, p: string, e: ErrorCollector) => T | undefined): T | undefined => {
    const value = getValue(map, key);
    return value === undefined ? undefined : read(value, childPath(path, key), errors);
  };
  const step: RunStep = {
    ...runDefaults(command ?? ''),
    ...defined('name', field('name', readNonEmptyString)),
    ...defined('shell', field('shell', readNonEmptyString)),
    ...defined('environment', field('environment', readEnvironment)),
    ...defined('workingDirectory', field('working_directory', readNonEmptyString)),
    ...defined('background', field('background', readBoolean)),
    ...defined('noOutputTimeoutMs', field('no_output_timeout', readTimeout)),
    ...defined('when', field('when', readWhen)),
  };
  return errors.count === before ? step : undefined;
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function readTimeout(node: YNode, path: string, errors: ErrorCollector): number | undefined {
  const text = node.kind === 'scalar' && node.value !== null ? node.text : undefined;
  const parsed = text === undefined ? undefined : parseDuration(text);
  // A zero timeout would kill every step at once; CircleCI refuses it too.
  const ms = parsed !== undefined && parsed > 0 ? parsed : undefined;
  if (ms === undefined) errors.add(node.pos, path, 'expected a duration such as 30s, 10m, 1h or 1h30m');
  return ms;
}
