/**
 * The job as a lease carries it: what the services app resolved from `.circleci/config.yml`
 * (parameters substituted, commands expanded, executors merged, resource class mapped to limits)
 * and what the builder's runner executes. Declared once, as schemas: the types derive from them,
 * and the agent checks every lease against them before it runs anything.
 */
import { z } from 'zod';

const environment = z.record(z.string(), z.string()).readonly();

/** One container image of a docker executor. */
export const dockerImageSchema = z
  .object({
    image: z.string().min(1),
    /** Network alias on the job network. @default undefined: the image's short name (`gyre/postgres:15` → `postgres`) */
    name: z.string().optional(),
    environment,
    /** @default undefined: the image's own entrypoint */
    entrypoint: z.array(z.string()).readonly().optional(),
    /** @default undefined: the image's own command */
    command: z.array(z.string()).readonly().optional(),
    /** @default undefined: the image's own user */
    user: z.string().optional(),
    /**
     * Credentials for a private registry, as the config writes them: `$NAME` and `${NAME}` stand
     * for the job's project and context variables, filled in on the builder just for the pull.
     * @default undefined: pulled anonymously
     */
    auth: z
      .object({ username: z.string().min(1), password: z.string().min(1) })
      .readonly()
      .optional(),
  })
  .readonly();
export type DockerImage = z.infer<typeof dockerImageSchema>;

/** The docker executor: the first image is where steps run, the rest are services. */
export const dockerExecutorSchema = z
  .object({
    primary: dockerImageSchema,
    /** Service containers, reachable on the job network by `name` (or by the image's short name). */
    services: z.array(dockerImageSchema).readonly(),
  })
  .readonly();
export type DockerExecutor = z.infer<typeof dockerExecutorSchema>;

/** A resource class resolved through the admin's table. */
export const resourceClassSchema = z
  .object({ name: z.string(), cpus: z.number().nonnegative(), memoryMiB: z.number().positive() })
  .readonly();
export type ResourceClass = z.infer<typeof resourceClassSchema>;

/** When a step runs, given how the earlier steps went. */
export const stepWhenSchema = z.enum(['on_success', 'on_fail', 'always']);
export type StepWhen = z.infer<typeof stepWhenSchema>;

/** Clones the pushed commit into the working directory (or `path`). */
export const checkoutStepSchema = z
  .object({
    type: z.literal('checkout'),
    /** @default undefined: the job's working directory */
    path: z.string().optional(),
  })
  .readonly();
export type CheckoutStep = z.infer<typeof checkoutStepSchema>;

/** Runs a shell command. */
export const runStepSchema = z
  .object({
    type: z.literal('run'),
    /** Shown in the UI. @default the first line of `command` */
    name: z.string(),
    command: z.string(),
    /** @default undefined: the job's shell */
    shell: z.string().optional(),
    environment,
    /** @default undefined: the job's working directory */
    workingDirectory: z.string().optional(),
    /** Runs without blocking later steps. @default false */
    background: z.boolean(),
    /** Fails the step after this long without output. @default 600000 (10 minutes) */
    noOutputTimeoutMs: z.number().int().positive(),
    /** @default 'on_success' */
    when: stepWhenSchema,
  })
  .readonly();
export type RunStep = z.infer<typeof runStepSchema>;

/**
 * Fields every step that moves data between jobs has. Templates (`{{ .Branch }}`, `{{ checksum
 * "file" }}`, …) are rendered on the builder, which alone has the files and the environment.
 * Paths are as the config wrote them: `~` and relative paths resolve in the primary container
 * (relative to the job's working directory), as CircleCI resolves them.
 */
const dataStepFields = {
  /** Shown in the UI. */
  name: z.string(),
  when: stepWhenSchema,
};

/** Saves `paths` under a key nobody has used yet in the project (caches are immutable). */
export const saveCacheStepSchema = z
  .object({
    type: z.literal('save_cache'),
    ...dataStepFields,
    key: z.string().min(1),
    paths: z.array(z.string()).readonly(),
  })
  .readonly();
export type SaveCacheStep = z.infer<typeof saveCacheStepSchema>;

/** Restores the first cache whose key is one of `keys` exactly, else the newest that starts with one, in order. */
export const restoreCacheStepSchema = z
  .object({ type: z.literal('restore_cache'), ...dataStepFields, keys: z.array(z.string().min(1)).min(1).readonly() })
  .readonly();
export type RestoreCacheStep = z.infer<typeof restoreCacheStepSchema>;

/** Adds `paths` (globs allowed) under `root` as this job's layer of the workflow's workspace. */
export const persistToWorkspaceStepSchema = z
  .object({
    type: z.literal('persist_to_workspace'),
    ...dataStepFields,
    root: z.string().min(1),
    paths: z.array(z.string()).readonly(),
  })
  .readonly();
export type PersistToWorkspaceStep = z.infer<typeof persistToWorkspaceStepSchema>;

/** Unpacks the layers of every upstream job, in `requires` order, at `at`. */
export const attachWorkspaceStepSchema = z
  .object({ type: z.literal('attach_workspace'), ...dataStepFields, at: z.string().min(1) })
  .readonly();
export type AttachWorkspaceStep = z.infer<typeof attachWorkspaceStepSchema>;

/** Keeps the file or folder at `path` as the job's artifacts, under `destination`. */
export const storeArtifactsStepSchema = z
  .object({
    type: z.literal('store_artifacts'),
    ...dataStepFields,
    path: z.string().min(1),
    /** @default undefined: the path's own name */
    destination: z.string().optional(),
  })
  .readonly();
export type StoreArtifactsStep = z.infer<typeof storeArtifactsStepSchema>;

/** Sends the JUnit XML files under `path` to the services box, which parses them. */
export const storeTestResultsStepSchema = z
  .object({ type: z.literal('store_test_results'), ...dataStepFields, path: z.string().min(1) })
  .readonly();
export type StoreTestResultsStep = z.infer<typeof storeTestResultsStepSchema>;

/**
 * Puts project SSH keys into `~/.ssh` of the primary container, each as `id_rsa_<MD5 hex>` with a
 * `Host` entry in `~/.ssh/config` (its hostname's, or every host's), as CircleCI does. The keys
 * come with the lease (`JobLease.sshKeys`).
 */
export const addSshKeysStepSchema = z
  .object({
    type: z.literal('add_ssh_keys'),
    name: z.string(),
    when: z.literal('on_success'),
    /** The keys to add, by fingerprint (MD5 `ab:cd:…` in lower case, or `SHA256:…`); empty: every key of the project. */
    fingerprints: z.array(z.string().min(1)).readonly(),
  })
  .readonly();
export type AddSshKeysStep = z.infer<typeof addSshKeysStepSchema>;

/**
 * Starts a Docker engine of the job's own (rootless, on the job's network, with TLS) and points
 * the later steps at it with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
 */
export const setupRemoteDockerStepSchema = z
  .object({
    type: z.literal('setup_remote_docker'),
    name: z.string(),
    when: z.literal('on_success'),
    /** The engine version the config asked for: accepted, and the job log says which engine runs. */
    version: z.string().optional(),
    /** CircleCI's paid layer cache; the job log says whether the builder keeps one. */
    dockerLayerCaching: z.boolean(),
  })
  .readonly();
export type SetupRemoteDockerStep = z.infer<typeof setupRemoteDockerStepSchema>;

/** A step of a job, after command expansion. */
export const stepSchema = z.discriminatedUnion('type', [
  checkoutStepSchema,
  runStepSchema,
  saveCacheStepSchema,
  restoreCacheStepSchema,
  persistToWorkspaceStepSchema,
  attachWorkspaceStepSchema,
  storeArtifactsStepSchema,
  storeTestResultsStepSchema,
  addSshKeysStepSchema,
  setupRemoteDockerStepSchema,
]);
export type Step = z.infer<typeof stepSchema>;

/** A concrete job, ready to be scheduled and run. */
export const jobSpecSchema = z
  .object({
    docker: dockerExecutorSchema,
    resourceClass: resourceClassSchema,
    /** @default '~/project' */
    workingDirectory: z.string(),
    /** Job-level environment, already merged over the executor's. */
    environment,
    /** Default shell for `run` steps. @default undefined: the image's `/bin/bash` or `/bin/sh` */
    shell: z.string().optional(),
    steps: z.array(stepSchema).readonly(),
    /** How many nodes run the job at once (`parallelism`), each told its index. @default 1 */
    parallelism: z.number().int().min(2).optional(),
    /**
     * A `machine` job: the builder runs its primary from its machine image (GYRE_MACHINE_IMAGE),
     * whatever `docker.primary.image` names (the CircleCI image the config asked for).
     */
    machine: z.literal(true).optional(),
  })
  .readonly();
export type JobSpec = z.infer<typeof jobSpecSchema>;
