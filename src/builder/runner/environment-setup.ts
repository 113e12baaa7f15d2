/**
 * The job's Docker objects: images, its network, its workspace volume, the service containers and
 * the primary container. Nothing here ever sets privileged mode, host mounts, the Docker socket or
 * the host network; only the job's own network and volume are attached.
 */
import type Dockerode from 'dockerode';
import { engineErrorMessage, statusCodeOf } from '../../docker/index.js';
import { GyreError } from '../../shared/errors.js';
import { serviceAlias } from './steps.js';
import { toEnvList } from './environment.js';
import type { DockerImage, SlotLimits } from './types.js';

/** Where the workspace volume is mounted in the primary container. */
export const WORKSPACE_MOUNT = '/gyre/workspace';
/** Keeps the primary alive so steps can run in it with `docker exec`. */
export const KEEP_ALIVE_ENTRYPOINT = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];
export const DEFAULT_PIDS_LIMIT = 4096;

/** An image the job needs is neither present nor pullable; the job fails, the builder is fine. */
export class ImageUnavailableError extends GyreError {}

/** The objects shared by a job's containers. */
export interface JobResources {
  readonly network: string;
  readonly volume: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly slot: SlotLimits;
}

/** Makes sure an image is present, pulling it when it is not. */
export async function ensureImage(docker: Dockerode, ref: string, log: (line: string) => void): Promise<void> {
  try {
    await docker.getImage(ref).inspect();
    return;
  } catch (error) {
    if (statusCodeOf(error) !== 404)
      throw new ImageUnavailableError(`Image ${ref} could not be inspected: ${engineErrorMessage(error)}`, undefined, {
        cause: error,
      });
  }
  log(`Pulling image ${ref}`);
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } catch (error) {
    throw new ImageUnavailableError(
      `Image ${ref} is not on this builder and could not be pulled: ${engineErrorMessage(error)}`,
      undefined,
      { cause: error },
    );
  }
}

/** Creates the job's network and workspace volume; names are unique, cleanup uses the labels. */
export async function createJobResources(
  docker: Dockerode,
  labels: Record<string, string>,
  slot: SlotLimits,
): Promise<JobResources> {
  const base = `gyre-job-${labels['io.gyre.job']}-${labels['io.gyre.attempt']}-${Math.random().toString(36).slice(2, 8)}`;
  await docker.createNetwork({ Name: base, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  await docker.createVolume({ Name: base, Labels: labels });
  return { network: base, volume: base, labels, slot };
}

/** Starts a service container, reachable on the job network by its alias. */
export async function startService(docker: Dockerode, res: JobResources, image: DockerImage): Promise<void> {
  const container = await docker.createContainer({
    Image: image.image,
    Env: toEnvList(image.environment),
    ...(image.entrypoint && { Entrypoint: [...image.entrypoint] }),
    ...(image.command && { Cmd: [...image.command] }),
    ...(image.user !== undefined && { User: image.user }),
    Labels: { ...res.labels },
    HostConfig: { NetworkMode: res.network, ...limits(res.slot) },
    NetworkingConfig: { EndpointsConfig: { [res.network]: { Aliases: [serviceAlias(image.image, image.name)] } } },
  });
  await container.start();
}

/** Starts the primary container, kept alive, with the workspace volume mounted. */
export async function startPrimary(
  docker: Dockerode,
  res: JobResources,
  image: DockerImage,
): Promise<Dockerode.Container> {
  const container = await docker.createContainer({
    Image: image.image,
    Env: toEnvList(image.environment),
    Entrypoint: KEEP_ALIVE_ENTRYPOINT,
    ...(image.user !== undefined && { User: image.user }),
    Labels: { ...res.labels },
    HostConfig: {
      NetworkMode: res.network,
      Mounts: [{ Type: 'volume', Source: res.volume, Target: WORKSPACE_MOUNT }],
      ...limits(res.slot),
    },
  });
  await container.start();
  return container;
}

/**
 * The slot's limits. Each container gets the whole slot: Docker has no limit shared by several
 * containers without a cgroup parent of our own, which is a later step.
 */
function limits(slot: SlotLimits): Dockerode.HostConfig {
  return {
    ...(slot.cpus > 0 && { NanoCpus: Math.round(slot.cpus * 1e9) }),
    ...(slot.memoryBytes > 0 && { Memory: slot.memoryBytes }),
    PidsLimit: slot.pids ?? DEFAULT_PIDS_LIMIT,
  };
}
