/**
 * GYRE_DOCKER_IN_BUILDS is checked once, when the builder starts: a builder that offers Docker in
 * builds must have the engine image (and, for the machine executor, the machine image) on its
 * host, since jobs that need them are placed only on such builders and would otherwise fail one
 * after another. They are not pulled: Gyre builds them.
 */
import type { JobBackend } from '../../docker/index.js';
import type { DockerInBuilds } from '../../protocol/index.js';
import { InvalidInputError } from '../../shared/errors.js';

interface DockerImages {
  readonly engineImage?: string | undefined;
  readonly machineImage?: string | undefined;
}

/** What the builder offers, as it tells the services box: the machine executor needs an engine too. */
export function dockerInBuildsOf(config: DockerImages): DockerInBuilds {
  if (config.engineImage === undefined) return 'off';
  return config.machineImage === undefined ? 'remote' : 'machine';
}

export async function checkDockerImages(backend: JobBackend, config: DockerImages): Promise<void> {
  const images = [
    ...(config.engineImage === undefined ? [] : [{ image: config.engineImage, setting: 'GYRE_ENGINE_IMAGE' }]),
    ...(config.machineImage === undefined ? [] : [{ image: config.machineImage, setting: 'GYRE_MACHINE_IMAGE' }]),
  ];
  const missing = [];
  for (const entry of images) if (!(await backend.hasImage(entry.image))) missing.push(entry);
  if (missing.length === 0) return;
  throw new InvalidInputError(
    'builder settings',
    missing.map(({ image, setting }) => ({
      input: 'GYRE_DOCKER_IN_BUILDS',
      message: `is ${dockerInBuildsOf(config)}, but ${image} (${setting}) is not on this builder's Docker host`,
      hint: 'build it with `gyre images build` (it is made when GYRE_DOCKER_IN_BUILDS is on) and ship it with `gyre builder join`, or set GYRE_DOCKER_IN_BUILDS=off',
    })),
  );
}
