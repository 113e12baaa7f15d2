/**
 * The `machine` executor, as CircleCI documents it: `machine: true`, or `machine: { image, ... }`.
 * Gyre runs the steps in its own machine image (Debian 12 with the Docker CLI, Compose, git and
 * common build tools; GYRE_MACHINE_IMAGE on the builder), with a Docker engine of the job's own
 * as DOCKER_HOST, started before the first step as `setup_remote_docker` starts one. A CircleCI
 * image name (`ubuntu-2204:2024.01.1`) is kept for the record, with a warning that it maps there.
 */
import { childPath, type ErrorCollector } from './errors.js';
import type { DockerExecutor, Step } from './model.js';
import { checkKeys, readBoolean, readNonEmptyString } from './read-node.js';
import { describeNode, getValue, type YNode } from './yaml-node.js';

export const MACHINE_KEYS = ['image', 'docker_layer_caching'] as const;
/** What `machine: true` asks for, in CircleCI's words. */
const DEFAULT_IMAGE = 'default';

/** The machine's Docker engine, started before every other step; the builder's layer cache when the executor asks for it. */
export function machineEngineStep(machine: YNode): Step {
  const caching = machine.kind === 'map' ? getValue(machine, 'docker_layer_caching') : undefined;
  return {
    type: 'setup_remote_docker',
    name: "Start the machine's Docker engine",
    when: 'on_success',
    dockerLayerCaching: caching?.kind === 'scalar' && caching.value === true,
  };
}

/** The executor as the job spec holds it (the builder runs its machine image instead), or undefined after reporting. */
export function readMachineExecutor(node: YNode, path: string, errors: ErrorCollector): DockerExecutor | undefined {
  if (node.kind === 'scalar' && node.value === true) return executorOf(DEFAULT_IMAGE);
  if (node.kind !== 'map') {
    errors.add(
      node.pos,
      path,
      `expected \`true\` or a map with \`image\` (e.g. machine: { image: ubuntu-2204:current }), got ${describeNode(node)}`,
    );
    return undefined;
  }
  const before = errors.count;
  checkKeys(node, path, MACHINE_KEYS, errors, 'a machine executor');
  const imageNode = getValue(node, 'image');
  const image =
    imageNode === undefined ? DEFAULT_IMAGE : readNonEmptyString(imageNode, childPath(path, 'image'), errors);
  const caching = getValue(node, 'docker_layer_caching');
  if (caching !== undefined) readBoolean(caching, childPath(path, 'docker_layer_caching'), errors);
  if (errors.count !== before || image === undefined) return undefined;
  if (imageNode !== undefined)
    errors.warn(
      imageNode.pos,
      childPath(path, 'image'),
      `machine image "${image}" runs as Gyre's machine image: Debian 12 with the Docker CLI, Compose, git and common build tools, and a Docker engine of the job's own`,
    );
  return executorOf(image);
}

function executorOf(image: string): DockerExecutor {
  return { primary: { image, environment: {} }, services: [] };
}
