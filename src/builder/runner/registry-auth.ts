/**
 * An image's `auth` made ready for the pull: `$NAME` and `${NAME}` in the username and password
 * are filled from the job's project and context variables, as CircleCI fills them, and the
 * registry is the one the image reference names. A variable the job does not have (a fork's
 * build gets none) fails the job before anything is pulled, naming the variable, never its value.
 */
import type { RegistryAuth } from '../../docker/index.js';
import type { DockerImage } from './types.js';
import { ImageUnavailableError } from './environment-setup.js';

/** Docker Hub's address in the engine's credentials, as `docker login` stores it. */
export const DOCKER_HUB = 'https://index.docker.io/v1/';

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** The credentials to pull `image` with, or undefined for an image without `auth`. */
export function registryAuthFor(
  image: DockerImage,
  variables: Readonly<Record<string, string>>,
): RegistryAuth | undefined {
  if (!image.auth) return undefined;
  const missing = new Set<string>();
  const fill = (text: string) =>
    text.replace(VARIABLE, (_match: string, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
      if (value === undefined) missing.add(name);
      return value ?? '';
    });
  const auth = { username: fill(image.auth.username), password: fill(image.auth.password) };
  if (missing.size > 0)
    throw new ImageUnavailableError(
      `Image ${image.image} needs registry credentials from ${[...missing].map((n) => `$${n}`).join(', ')}, which this job does not have: set them as project or context variables (builds of pull requests from forks get none unless the project passes secrets to forks)`,
    );
  return { ...auth, serveraddress: registryOf(image.image) };
}

/**
 * The registry an image reference names: its first part when that looks like a host (it has a
 * dot or a port, or is `localhost`), else Docker Hub, as the Docker CLI decides.
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  return first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : DOCKER_HUB;
}
