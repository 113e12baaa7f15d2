/**
 * The job as a lease carries it: what the services app resolved from `.circleci/config.yml`
 * (parameters substituted, commands expanded, executors merged, resource class mapped to limits)
 * and what the builder's runner executes. Both sides use these types, so they are declared once,
 * here in the contract.
 */

/** A concrete job, ready to be scheduled and run. */
export interface JobSpec {
  readonly docker: DockerExecutor;
  readonly resourceClass: ResourceClass;
  /** @default '~/project' */
  readonly workingDirectory: string;
  /** Job-level environment, already merged over the executor's. */
  readonly environment: Readonly<Record<string, string>>;
  /** Default shell for `run` steps. @default undefined: the image's `/bin/bash` or `/bin/sh` */
  readonly shell?: string;
  readonly steps: readonly Step[];
}

/** The docker executor: the first image is where steps run, the rest are services. */
export interface DockerExecutor {
  readonly primary: DockerImage;
  /** Service containers, reachable on the job network by `name` (or by the image's short name). */
  readonly services: readonly DockerImage[];
}

/** One container image of a docker executor. */
export interface DockerImage {
  readonly image: string;
  /** Network alias on the job network. @default undefined: the image's short name (`gyre/postgres:15` → `postgres`) */
  readonly name?: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default undefined: the image's own entrypoint */
  readonly entrypoint?: readonly string[];
  /** @default undefined: the image's own command */
  readonly command?: readonly string[];
  /** @default undefined: the image's own user */
  readonly user?: string;
}

/** A resource class resolved through the admin's table. */
export interface ResourceClass {
  readonly name: string;
  readonly cpus: number;
  readonly memoryMiB: number;
}

/** A step of a job, after command expansion. */
export type Step = CheckoutStep | RunStep;

/** Clones the pushed commit into the working directory (or `path`). */
export interface CheckoutStep {
  readonly type: 'checkout';
  /** @default undefined: the job's working directory */
  readonly path?: string;
}

/** Runs a shell command. */
export interface RunStep {
  readonly type: 'run';
  /** Shown in the UI. @default the first line of `command` */
  readonly name: string;
  readonly command: string;
  /** @default undefined: the job's shell */
  readonly shell?: string;
  readonly environment: Readonly<Record<string, string>>;
  /** @default undefined: the job's working directory */
  readonly workingDirectory?: string;
  /** Runs without blocking later steps. @default false */
  readonly background: boolean;
  /** Fails the step after this long without output. @default 600000 (10 minutes) */
  readonly noOutputTimeoutMs: number;
  /** @default 'on_success' */
  readonly when: StepWhen;
}

/** When a step runs, given how the earlier steps went. */
export type StepWhen = 'on_success' | 'on_fail' | 'always';
