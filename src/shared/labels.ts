/**
 * Every `io.gyre.*` label Gyre puts on Docker objects, declared once. Cleanup finds objects by
 * these labels, never by name, so a builder restarted after a crash still finds what its previous
 * run left behind, and a filter on {@link LABELS.managed} never matches a user's own containers.
 */
export const LABELS = {
  /** The job id (protocol `jobId`) an object belongs to. */
  job: 'io.gyre.job',
  /** The attempt of that job. */
  attempt: 'io.gyre.attempt',
  /** The name of the builder that created the object. */
  builder: 'io.gyre.builder',
  /** Marks job objects Gyre owns (`true`). */
  managed: 'io.gyre.managed',
  /** The rendered stack a Compose object belongs to: `services` or `builder`. */
  stack: 'io.gyre.stack',
  /** The Compose service of that stack. */
  service: 'io.gyre.service',
  /** Gyre's version that made the object. */
  version: 'io.gyre.version',
  /** Which of Gyre's images an image is: `app`, `postgres`, `base-debian`, `base-node`. */
  image: 'io.gyre.image',
  /** The fingerprint of an image's build inputs; an image with other inputs is rebuilt. */
  inputs: 'io.gyre.inputs',
  /** Marks a base image Gyre built itself, without a registry (`offline`). */
  base: 'io.gyre.base',
  /** A builder's layer cache volume for `docker_layer_caching`, with its project's id; kept across jobs. */
  layerCache: 'io.gyre.layer-cache',
  /** Objects of a builder's start check (`engine`), removed when the check ends. */
  check: 'io.gyre.check',
  /** A backup's scratch database and its network (`gyre backup verify`), with the backup's name. */
  scratchDatabase: 'io.gyre.scratch-database',
  /** Containers a GyreEnvironment started outside Compose, with the environment's id. */
  testEnvironment: 'io.gyre.test-environment',
} as const;

/** The labels of one job attempt's objects. */
export function jobLabels(jobId: number, attempt: number, builderName: string): Record<string, string> {
  return {
    [LABELS.job]: String(jobId),
    [LABELS.attempt]: String(attempt),
    [LABELS.builder]: builderName,
    [LABELS.managed]: 'true',
  };
}

/** The labels that select everything one builder made for jobs (all jobs, or one). */
export function builderObjectLabels(builderName: string, jobId?: number): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.builder]: builderName,
    ...(jobId !== undefined && { [LABELS.job]: String(jobId) }),
  };
}
