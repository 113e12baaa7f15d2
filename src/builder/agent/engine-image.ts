/**
 * GYRE_DOCKER_IN_BUILDS is checked once, when the builder starts: a builder that offers Docker in
 * builds must have the engine image (and, for the machine executor, the machine image) on its
 * host, and a rootless engine must start there, since jobs that need them are placed only on such
 * builders and would otherwise be retried from one failure to the next. The images are not
 * pulled: Gyre builds them.
 */
import type { JobBackend } from '../../docker/index.js';
import type { DockerInBuilds } from '../../protocol/index.js';
import { InvalidInputError, messageOf } from '../../shared/errors.js';
import { checkEngineStarts } from '../runner/index.js';

export interface DockerImages {
  readonly engineImage?: string | undefined;
  readonly machineImage?: string | undefined;
}

/** What the builder offers, as it tells the services box: the machine executor needs an engine too. */
export function dockerInBuildsOf(config: DockerImages): DockerInBuilds {
  if (config.engineImage === undefined) return 'off';
  return config.machineImage === undefined ? 'remote' : 'machine';
}

/**
 * The ids of the images the settings name, refusing the settings when one is missing. Jobs run
 * them by id from then on: an image tagged with the same name later (an administrator's
 * `docker pull`) never runs as a job's engine or machine.
 */
export async function checkDockerImages(backend: JobBackend, config: DockerImages): Promise<DockerImages> {
  const images = [
    ...(config.engineImage === undefined
      ? []
      : [{ key: 'engineImage', image: config.engineImage, setting: 'GYRE_ENGINE_IMAGE' }]),
    ...(config.machineImage === undefined
      ? []
      : [{ key: 'machineImage', image: config.machineImage, setting: 'GYRE_MACHINE_IMAGE' }]),
  ];
  const pinned: Record<string, string> = {};
  const missing = [];
  for (const entry of images) {
    const id = await backend.imageId(entry.image);
    if (id === undefined) missing.push(entry);
    else pinned[entry.key] = id;
  }
  if (missing.length === 0) return pinned;
  throw new InvalidInputError(
    'builder settings',
    missing.map(({ image, setting }) => ({
      input: 'GYRE_DOCKER_IN_BUILDS',
      message: `is ${dockerInBuildsOf(config)}, but ${image} (${setting}) is not on this builder's Docker host`,
      hint: 'build it with `gyre images build` (it is made when GYRE_DOCKER_IN_BUILDS is on) and ship it with `gyre builder join`, or set GYRE_DOCKER_IN_BUILDS=off',
    })),
  );
}

/** Starts an engine as a job would get one (a few seconds), refusing the settings when it does not answer. */
export async function checkEngine(backend: JobBackend, config: DockerImages, builderName: string): Promise<void> {
  if (config.engineImage === undefined) return;
  try {
    await checkEngineStarts(backend, config.engineImage, builderName);
  } catch (error) {
    throw new InvalidInputError('builder settings', [
      {
        input: 'GYRE_DOCKER_IN_BUILDS',
        message: `is ${dockerInBuildsOf(config)}, but a job's rootless Docker engine does not start on this host: ${messageOf(error)}`,
        hint: "the host's kernel must allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, and on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0) and have /dev/net/tun; `docker logs` of an engine container shows why it stopped. Or set GYRE_DOCKER_IN_BUILDS=off",
      },
    ]);
  }
}
