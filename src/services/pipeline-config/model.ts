/**
 * The typed model of a parsed `.circleci/config.yml`. Everything here is resolved: parameters
 * substituted, commands expanded into steps, executors merged into jobs and resource classes
 * mapped to CPU and memory. The scheduler and the builder never see YAML.
 */

/** The config `version` the file declared. */
export type ConfigVersion = '2' | '2.1';

/** A parsed, validated config. */
export interface PipelineConfig {
  readonly version: ConfigVersion;
  /** Workflows in file order. A config without `workflows` gets one named `workflow` running job `build`. */
  readonly workflows: readonly Workflow[];
}

/** One workflow: a graph of jobs. */
export interface Workflow {
  readonly name: string;
  /** Jobs in file order; `requires` always names jobs earlier or later in this list. */
  readonly jobs: readonly WorkflowJob[];
}

/** A job as invoked by a workflow: its unique name there, its dependencies, filters and the concrete job. */
export interface WorkflowJob {
  /** Unique within the workflow: the `name` override, or else the job's key under `jobs`. */
  readonly name: string;
  /** The key of the job definition under `jobs`. */
  readonly jobName: string;
  /** Names (within this workflow) of the jobs that must succeed first. */
  readonly requires: readonly string[];
  readonly filters: JobFilters;
  /** The job with this invocation's parameters applied. */
  readonly job: Job;
}

/** Which refs a workflow job runs for (CircleCI semantics, see `filters.ts`). */
export interface JobFilters {
  /** @default undefined: every branch */
  readonly branches?: RefFilter;
  /** @default undefined: no tag at all */
  readonly tags?: RefFilter;
}

/** `only` / `ignore` patterns for one kind of ref. */
export interface RefFilter {
  /** A ref matching none of these is skipped. @default undefined: every ref passes */
  readonly only?: readonly RefPattern[];
  /** A ref matching any of these is skipped, even if it matches `only`. @default undefined */
  readonly ignore?: readonly RefPattern[];
}

/** A filter pattern: an exact name, or a `/regex/` that must match the whole ref name. */
export type RefPattern = { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'regex'; readonly source: string };

/** A concrete job, ready to be scheduled. */
export interface Job {
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
  /** Network alias on the job network. @default undefined */
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

/** CPU and memory of one resource class. */
export interface ResourceClassSpec {
  readonly cpus: number;
  readonly memoryMiB: number;
}

/** The admin-editable mapping from `resource_class` names to limits. */
export interface ResourceClassTable {
  /** Used when a job names no class; must be a key of `classes`. */
  readonly defaultClass: string;
  readonly classes: Readonly<Record<string, ResourceClassSpec>>;
}
