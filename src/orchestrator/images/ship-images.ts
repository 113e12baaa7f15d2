/**
 * Puts images on another Docker host without a registry: `docker save` on this machine's engine
 * streamed straight into `docker load` on the other one, over the Engine API.
 */
import type { DockerClient, ProgressListener } from '../../docker/index.js';
import { InvalidInputError } from '../../shared/errors.js';

export interface ShipResult {
  readonly shipped: readonly string[];
  readonly present: readonly string[];
}

/** Ships the images the target lacks (or holds in another version); compares image ids. */
export async function shipImages(
  from: DockerClient,
  to: DockerClient,
  refs: readonly string[],
  onLine: ProgressListener,
): Promise<ShipResult> {
  const local = await Promise.all(refs.map(async (ref) => ({ ref, image: await from.inspectImage(ref) })));
  const missing = local.filter((entry) => entry.image === undefined).map((entry) => entry.ref);
  if (missing.length > 0)
    throw new InvalidInputError(
      'images',
      missing.map((ref) => ({
        input: ref,
        message: "is not on this machine's Docker Engine, so it cannot be shipped",
        hint: 'build it first: gyre images build --offline',
      })),
    );
  const remote = await Promise.all(local.map(async (entry) => ({ ...entry, there: await to.inspectImage(entry.ref) })));
  const needed = remote.filter((entry) => entry.there?.id !== entry.image!.id).map((entry) => entry.ref);
  if (needed.length > 0) {
    onLine(`shipping ${needed.join(', ')}`);
    await to.loadImages(await from.saveImages(needed), onLine);
  }
  return { shipped: needed, present: refs.filter((ref) => !needed.includes(ref)) };
}
