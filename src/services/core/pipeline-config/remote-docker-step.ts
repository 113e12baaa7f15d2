/**
 * `setup_remote_docker`, as CircleCI documents it: `- setup_remote_docker`, or with `version` and
 * `docker_layer_caching`. The job then needs a builder that offers Docker in builds
 * (GYRE_DOCKER_IN_BUILDS): the jobs table's `docker_level` is generated from the step's presence.
 */
import type { ErrorCollector } from './errors.js';
import type { Step } from './model.js';
import { readBoolean, readScalarText } from './read-node.js';
import { optionalOption, readStepOptions, RUNS_ON_SUCCESS, type StepShape } from './step-options.js';
import type { YEntry } from './yaml-node.js';

export const SETUP_REMOTE_DOCKER_KEYS = ['version', 'docker_layer_caching'] as const;
const NAME = 'Setup a remote Docker engine';

/** The step, or `undefined` after reporting. */
export function readSetupRemoteDocker(entry: YEntry, path: string, errors: ErrorCollector): Step | undefined {
  if (entry.value.kind === 'scalar' && entry.value.value === null)
    return { type: 'setup_remote_docker', name: NAME, when: 'on_success', dockerLayerCaching: false };
  const shape: StepShape = {
    step: entry.key,
    keys: SETUP_REMOTE_DOCKER_KEYS,
    example: 'setup_remote_docker: { docker_layer_caching: true }',
    noWhen: RUNS_ON_SUCCESS,
  };
  const before = errors.count;
  const map = readStepOptions(entry, path, shape, errors);
  if (!map) return undefined;
  const version = optionalOption(map, 'version', path, readScalarText, errors);
  const dockerLayerCaching = optionalOption(map, 'docker_layer_caching', path, readBoolean, errors) ?? false;
  if (errors.count !== before) return undefined;
  return {
    type: 'setup_remote_docker',
    name: NAME,
    when: 'on_success',
    ...(version !== undefined && { version }),
    dockerLayerCaching,
  };
}
