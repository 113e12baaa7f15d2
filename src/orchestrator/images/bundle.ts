/**
 * Image bundles: `docker save` archives that carry Gyre's images to hosts without a registry.
 * A name ending in `.gz` is gzip-compressed; the engine reads either form on load.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Settings } from '../../config/index.js';
import type { DockerClient, ImageDetails, ProgressListener } from '../../docker/index.js';
import { GyreError, InvalidInputError, messageOf } from '../../shared/errors.js';

/** The images a deployment runs, which is what a bundle carries by default. */
export function runtimeImageRefs(settings: Settings): string[] {
  return [settings.images.app, settings.images.db, ...engineImageRefs(settings)];
}

/** The images a builder's host needs: the agent's, and the per-job engine's where jobs may have Docker. */
export function builderImageRefs(settings: Settings): string[] {
  return [settings.images.app, ...engineImageRefs(settings)];
}

function engineImageRefs(settings: Settings): string[] {
  const { dockerInBuilds } = settings.builder;
  if (dockerInBuilds === 'off') return [];
  return dockerInBuilds === 'machine' ? [settings.images.engine, settings.images.machine] : [settings.images.engine];
}

/** Writes the images into one file; the file appears only once it is complete. */
export async function saveImages(docker: DockerClient, file: string, refs: readonly string[]): Promise<ImageDetails[]> {
  const images = await Promise.all(refs.map(async (ref) => ({ ref, image: await docker.inspectImage(ref) })));
  const missing = images.filter((entry) => entry.image === undefined).map((entry) => entry.ref);
  if (missing.length > 0) {
    throw new InvalidInputError(
      'gyre images save',
      missing.map((ref) => ({
        input: ref,
        message: 'is not on the Docker host',
        hint: 'build it first: gyre images build --offline',
      })),
    );
  }
  const partial = `${file}.partial`;
  try {
    const source = await docker.saveImages(refs);
    await pipeline(
      file.endsWith('.gz') ? [source, createGzip(), createWriteStream(partial)] : [source, createWriteStream(partial)],
    );
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error instanceof GyreError
      ? error
      : new GyreError(`Could not write the image bundle ${file}: ${messageOf(error)}`, undefined, { cause: error });
  }
  return images.map((entry) => entry.image!);
}

/** Loads a bundle into a host; resolves to the image references the engine reports. */
export async function loadImages(
  docker: DockerClient,
  file: string,
  onLine: ProgressListener = () => undefined,
): Promise<string[]> {
  const stream = createReadStream(file);
  // Opening is asynchronous; surface a missing file as bad input rather than as a Docker failure.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) =>
      reject(
        new InvalidInputError('gyre images load', [
          {
            input: file,
            message: `cannot be read: ${error.message}`,
            hint: 'pass the file written by `gyre images save`',
          },
        ]),
      ),
    );
  });
  return docker.loadImages(stream, onLine);
}
