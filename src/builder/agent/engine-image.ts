/**
 * GYRE_DOCKER_IN_BUILDS is checked once, when the builder starts: a builder that offers Docker in
 * builds must have the engine image on its host, since jobs that need it are placed only on such
 * builders and would otherwise fail one after another. It is not pulled: Gyre builds it.
 */
import type { JobBackend } from '../../docker/index.js';
import { InvalidInputError } from '../../shared/errors.js';

export async function checkEngineImage(backend: JobBackend, image: string): Promise<void> {
  if (await backend.hasImage(image)) return;
  throw new InvalidInputError('builder settings', [
    {
      input: 'GYRE_DOCKER_IN_BUILDS',
      message: `is remote, but the engine image ${image} (GYRE_ENGINE_IMAGE) is not on this builder's Docker host`,
      hint: 'build it with `gyre images build` (it is made when GYRE_DOCKER_IN_BUILDS is on) and ship it with `gyre builder join`, or set GYRE_DOCKER_IN_BUILDS=off',
    },
  ]);
}
