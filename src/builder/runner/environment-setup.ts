/**
 * The job's Docker objects: images, its network, its workspace volume, the service containers and
 * the primary container. Nothing here ever sets privileged mode, host mounts, the Docker socket or
 * the host network; only the job's own network and volume are attached.
 */
import {
  engineErrorMessage,
  type ContainerLimits,
  type ContainerSpec,
  type JobBackend,
  type RegistryAuth,
} from '../../docker/index.js';
import { GyreError } from '../../shared/errors.js';
import { LABELS } from '../../shared/labels.js';
import { serviceAlias } from './steps.js';
import { toEnvList } from './environment.js';
import { JOB_BIN_DIR } from './shell.js';
import { createJobNetwork, type JobResourcePool, type PooledResources } from './resource-pool.js';
import type { ResourceClass } from '../../protocol/index.js';
import type { DockerImage, RoomLimits } from './types.js';

/** Where the workspace volume is mounted in the primary container. */
export const WORKSPACE_MOUNT = '/gyre/workspace';
/** Keeps the primary alive so steps can run in it with `docker exec`. */
export const KEEP_ALIVE_ENTRYPOINT = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];
export const DEFAULT_PIDS_LIMIT = 4096;

/** A set-up failure that is the job's own doing: the job fails, the builder is fine. */
export class JobFaultError extends GyreError {}

/** An image the job needs is neither present nor pullable. */
export class ImageUnavailableError extends JobFaultError {}

/** Fails a job with more service containers than the builder allows, before anything is pulled. */
export function checkServiceCount(count: number, maxServices: number | undefined): void {
  if (maxServices === undefined || count <= maxServices) return;
  throw new JobFaultError(
    `The job has ${count} service containers besides its primary; this builder allows at most ${maxServices} (GYRE_JOB_MAX_SERVICES). Use fewer images in the job's docker list, or ask an administrator to raise the limit.`,
  );
}

/** The objects shared by a job's containers. */
export interface JobResources {
  readonly network: string;
  readonly volume: string;
  /** The pool's holder on `network`, whose network namespace the primary joins; none for a network made for the job. */
  readonly holder?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The whole job's limits (see {@link jobLimits}). */
  readonly limits: ContainerLimits;
  /** Whether the job's containers nest in the primary's cgroup, whose limits then bound them all. */
  readonly sharedCgroup: boolean;
  /** The most bytes each of its containers may write into its own file system; unlimited when undefined. */
  readonly diskBytes?: number;
}

/**
 * Fails with `missing()` unless one of Gyre's own images is on the builder's host. Never pulled:
 * Gyre builds them, and a registry's image of that name could be anyone's. Whose fault a missing
 * one is depends on who named it: the builder's settings (builderLacks) or a job's config.
 */
export async function requireGyreImage(backend: JobBackend, ref: string, missing: () => GyreError): Promise<void> {
  if (!(await backend.hasImage(ref))) throw missing();
}

/** A Gyre image that a builder setting names is missing: the builder's fault, so the job is retried elsewhere. */
export const builderLacks = (ref: string, setting: string) => (): GyreError =>
  new GyreError(
    `${ref} (${setting}) is not on this builder's Docker host; Gyre builds it (\`gyre images build\`, shipped by \`gyre builder join\`) and never pulls it (the agent runs the engine and machine images by the ids it found when it started: restart it after rebuilding them)`,
  );

/** Makes sure an image is present, pulling it (with `auth` for a private registry) when it is not. */
export async function ensureImage(
  backend: JobBackend,
  ref: string,
  log: (line: string) => void,
  auth?: RegistryAuth,
): Promise<void> {
  let present: boolean;
  try {
    present = await backend.hasImage(ref);
  } catch (error) {
    throw new ImageUnavailableError(`Image ${ref} could not be inspected: ${engineErrorMessage(error)}`, undefined, {
      cause: error,
    });
  }
  if (present) return;
  log(`Pulling image ${ref}${auth ? ` as ${auth.username}` : ''}`);
  try {
    await backend.pullImage(ref, auth);
  } catch (error) {
    throw new ImageUnavailableError(
      `Image ${ref} is not on this builder and could not be pulled: ${engineErrorMessage(error)}`,
      undefined,
      { cause: error },
    );
  }
}

/** How a container other than the primary is held to the job's limits. */
export type HelperPlacement = Pick<ContainerSpec, 'cgroup' | 'limits'>;

/**
 * The job's network and workspace volume: the pool's (resource-pool.ts), or new ones with unique
 * names, which cleanup finds by their labels.
 */
export async function createJobResources(
  backend: JobBackend,
  labels: Record<string, string>,
  limits: ContainerLimits,
  placement: { readonly sharedCgroup?: boolean | undefined; readonly diskBytes?: number | undefined } = {},
  pooled?: PooledResources,
  /** The pool, which gives a network back when the engine has no address pool left. */
  pool?: JobResourcePool,
): Promise<JobResources> {
  const base =
    pooled?.name ??
    `gyre-job-${labels[LABELS.job]}-${labels[LABELS.attempt]}-${Math.random().toString(36).slice(2, 8)}`;
  if (pooled === undefined) {
    // Independent: made together, as each is a round trip to the engine. Both are settled before a
    // failure is thrown, so the job's cleanup, which goes by label, finds the other one made.
    const made = await Promise.allSettled([
      createJobNetwork(backend, base, labels, pool),
      backend.createVolume(base, labels),
    ]);
    const failed = made.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return {
    network: base,
    volume: base,
    ...(pooled !== undefined && { holder: pooled.holder }),
    labels,
    limits,
    sharedCgroup: placement.sharedCgroup ?? false,
    ...(placement.diskBytes !== undefined && { diskBytes: placement.diskBytes }),
  };
}

/**
 * Starts a service container, reachable on the job network by its alias; in the primary's cgroup
 * where the engine nests them, else with limits of its own.
 */
export async function startService(
  backend: JobBackend,
  res: JobResources,
  primary: string,
  image: DockerImage,
  outboundEnv: readonly string[],
): Promise<string> {
  return backend.startContainer({
    image: image.image,
    env: [...outboundEnv, ...toEnvList(image.environment)],
    ...(image.entrypoint && { entrypoint: image.entrypoint }),
    ...(image.command && { cmd: image.command }),
    ...(image.user !== undefined && { user: image.user }),
    labels: res.labels,
    network: { name: res.network, aliases: [serviceAlias(image.image, image.name)] },
    ...inJobCgroup(res, primary),
    ...(res.diskBytes !== undefined && { diskBytes: res.diskBytes }),
  });
}

/** The primary container's variables: Gyre's own first, so the image's, from the config, win. */
export function primaryEnvOf(image: DockerImage, outboundEnv: readonly string[]): string[] {
  return [...outboundEnv, ...toEnvList(image.environment)];
}

/**
 * Starts the primary container, kept alive, with the workspace volume mounted; resolves to its id.
 * Its cgroup is the job's where the engine nests them: started first, it holds the job's limits
 * for every container that follows.
 */
export async function startPrimary(
  backend: JobBackend,
  res: JobResources,
  image: DockerImage,
  outboundEnv: readonly string[],
  /** The builder's tools volume (tools-volume.ts), mounted read-only at /gyre/bin. @default none */
  toolsVolume?: string,
): Promise<string> {
  return backend.startContainer({
    image: image.image,
    env: primaryEnvOf(image, outboundEnv),
    entrypoint: KEEP_ALIVE_ENTRYPOINT,
    ...(image.user !== undefined && { user: image.user }),
    labels: res.labels,
    ...(res.holder !== undefined ? { networkOf: res.holder } : { network: { name: res.network } }),
    volumes: [
      { name: res.volume, target: WORKSPACE_MOUNT },
      ...(toolsVolume !== undefined ? [{ name: toolsVolume, target: JOB_BIN_DIR, readOnly: true }] : []),
    ],
    limits: res.limits,
    ...(res.diskBytes !== undefined && { diskBytes: res.diskBytes }),
    ...(res.sharedCgroup && { cgroup: 'leader' as const }),
    mayGainPrivileges: true,
  });
}

/**
 * What puts one of the job's other containers (a service, a helper) under the job's limits: the
 * primary's cgroup, or, on engines that do not nest cgroups, limits of its own, each the job's.
 */
export function inJobCgroup(res: Pick<JobResources, 'limits' | 'sharedCgroup'>, primary: string): HelperPlacement {
  return res.sharedCgroup ? { cgroup: { under: primary } } : { limits: res.limits };
}

/**
 * A job's limits: its resource class's CPUs and memory, as CircleCI sizes a job by its class, but
 * never beyond the builder's whole room for jobs (the scheduler places a job only on a builder
 * with room for it, so this bounds a class changed between planning and running); the room's
 * pids. A builder without a CPU limit (GYRE_SLOT_CPUS=0) still holds the job to its class's CPUs,
 * but never to more than the host has (`hostCpus`): the engine refuses a CPU limit above that.
 */
export function jobLimits(resourceClass: ResourceClass, room: RoomLimits, hostCpus?: number): ContainerLimits {
  const memoryBytes = resourceClass.memoryMiB * 1024 ** 2;
  // A class's 0 and the room's null both mean "no limit": the smaller of the others holds.
  const bounds = [resourceClass.cpus, room.cpus ?? 0].filter((cpus) => cpus > 0);
  return {
    cpus: bounds.length > 0 ? Math.min(...bounds, hostCpus ?? Infinity) : 0,
    memoryBytes: room.memoryBytes > 0 ? Math.min(memoryBytes, room.memoryBytes) : memoryBytes,
    pids: room.pids ?? DEFAULT_PIDS_LIMIT,
  };
}
