/**
 * The README's table of the config keys Gyre reads, generated from the parser's own key lists,
 * so it cannot drift from what the parser accepts (a unit test keeps the README in step). Keys
 * the parser knows but refuses (explainUnsupportedKey) are left out.
 */
import { COMMAND_KEYS } from './commands.js';
import { DATA_STEP_KEYS } from './data-steps.js';
import { SETUP_REMOTE_DOCKER_KEYS } from './remote-docker-step.js';
import { ADD_SSH_KEYS_KEYS } from './ssh-keys-step.js';
import { IGNORED_IMAGE_KEYS, IMAGE_AUTH_KEYS, IMAGE_KEYS } from './docker-images.js';
import { MACHINE_KEYS } from './machine-executor.js';
import { MATRIX_KEYS } from './matrix.js';
import { ORB_KEYS } from './orbs.js';
import { PARAMETER_KEYS, PARAMETER_TYPES } from './parameters.js';
import { TOP_LEVEL_KEYS } from './read-header.js';
import { EXECUTOR_DEFINITION_KEYS } from './resolve-executors.js';
import { RUN_KEYS } from './run-step.js';
import { SCHEDULE_KEYS } from './triggers.js';
import { explainUnsupportedKey } from './unsupported.js';
import { JOB_KEYS } from './validate-jobs.js';
import { CHECKOUT_KEYS, CONDITIONAL_STEP_KEYS } from './validate-steps.js';
import { INVOCATION_KEYS, WORKFLOW_KEYS } from './workflows.js';

export const CONFIG_KEYS_BEGIN = '<!-- config-keys:begin (generated from the parser; see supported-keys.ts) -->';
export const CONFIG_KEYS_END = '<!-- config-keys:end -->';

const supported = (keys: readonly string[]): string[] =>
  keys.filter((key) => explainUnsupportedKey(key, '') === undefined);

/** Each place in a config and the keys Gyre reads there. */
export function supportedKeys(): readonly { readonly where: string; readonly keys: readonly string[] }[] {
  return [
    { where: 'top level', keys: supported(TOP_LEVEL_KEYS) },
    { where: 'a job', keys: supported(JOB_KEYS) },
    { where: 'an executor', keys: supported(EXECUTOR_DEFINITION_KEYS) },
    { where: 'a `machine` executor', keys: MACHINE_KEYS },
    { where: 'a command', keys: supported(COMMAND_KEYS) },
    { where: 'an orb (inline under `orbs:`, or imported into the orb store)', keys: ORB_KEYS },
    { where: 'a parameter', keys: PARAMETER_KEYS },
    { where: "a parameter's `type`", keys: PARAMETER_TYPES },
    { where: 'a docker image', keys: supported(IMAGE_KEYS) },
    { where: 'a docker image, ignored with a warning', keys: Object.keys(IGNORED_IMAGE_KEYS) },
    { where: "a docker image's `auth`", keys: IMAGE_AUTH_KEYS },
    { where: 'step `run` (and `deploy`)', keys: supported(RUN_KEYS) },
    { where: 'step `checkout`', keys: CHECKOUT_KEYS },
    { where: 'steps `when` / `unless`', keys: CONDITIONAL_STEP_KEYS },
    { where: 'step `add_ssh_keys`', keys: ADD_SSH_KEYS_KEYS },
    { where: 'step `setup_remote_docker`', keys: SETUP_REMOTE_DOCKER_KEYS },
    ...Object.entries(DATA_STEP_KEYS).map(([step, keys]) => ({ where: `step \`${step}\``, keys })),
    { where: 'a workflow', keys: supported(WORKFLOW_KEYS) },
    { where: "a workflow job (besides the job's parameters)", keys: supported(INVOCATION_KEYS) },
    { where: "a workflow job's `matrix`", keys: MATRIX_KEYS },
    { where: 'a workflow `triggers: - schedule`', keys: SCHEDULE_KEYS },
  ];
}

/** The table, markers included. */
export function renderConfigKeysTable(): string {
  const rows = supportedKeys().map(({ where, keys }) => `| ${where} | ${keys.map((k) => `\`${k}\``).join(', ')} |`);
  return [CONFIG_KEYS_BEGIN, '| where | keys Gyre reads |', '|---|---|', ...rows, CONFIG_KEYS_END].join('\n');
}

/** `readme` with its table regenerated; undefined when it has no markers. */
export function replaceConfigKeysTable(readme: string): string | undefined {
  const begin = readme.indexOf(CONFIG_KEYS_BEGIN);
  const end = readme.indexOf(CONFIG_KEYS_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(0, begin) + renderConfigKeysTable() + readme.slice(end + CONFIG_KEYS_END.length);
}
