/**
 * The typed model of a parsed `.circleci/config.yml`. Everything here is resolved: parameters
 * substituted, commands expanded into steps, executors merged into jobs and resource classes
 * mapped to CPU and memory. The scheduler and the builder never see YAML.
 */
import type { JobSpec } from '../../../protocol/job-spec.js';

export type {
  AttachWorkspaceStep,
  CheckoutStep,
  DockerExecutor,
  DockerImage,
  PersistToWorkspaceStep,
  ResourceClass,
  RestoreCacheStep,
  RunStep,
  SaveCacheStep,
  Step,
  StepWhen,
  StoreArtifactsStep,
  StoreTestResultsStep,
} from '../../../protocol/job-spec.js';

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
  /** Its legacy `triggers:`: a workflow with any runs only when one fires, never on a push. */
  readonly schedules?: readonly WorkflowSchedule[];
  /** Jobs in file order; `requires` always names jobs earlier or later in this list. */
  readonly jobs: readonly WorkflowJob[];
}

/** A job as invoked by a workflow: one that runs, or an approval the workflow waits at. */
export type WorkflowJob = BuildWorkflowJob | ApprovalWorkflowJob;

interface WorkflowJobBase {
  /** Unique within the workflow: the `name` override, or else the job's key under `jobs`. */
  readonly name: string;
  /** The key of the job definition under `jobs` (for an approval job, the key as written). */
  readonly jobName: string;
  /** The jobs (within this workflow) that must end first, each in one of the statuses it lists. */
  readonly requires: readonly JobRequirement[];
  readonly filters: JobFilters;
  /** The contexts (`context:`) whose variables the job gets, if its trigger may use them; in order, later ones win. */
  readonly contexts: readonly string[];
}

/** A job that runs. */
export interface BuildWorkflowJob extends WorkflowJobBase {
  /** The job with this invocation's parameters applied. */
  readonly job: Job;
}

/**
 * `type: approval`: runs nothing. Once its requirements are met, the workflow waits there until
 * a project member approves it (it succeeds, and the jobs requiring it go on) or cancels it. Its
 * key needs no definition under `jobs:`, as in CircleCI.
 */
export interface ApprovalWorkflowJob extends WorkflowJobBase {
  readonly approval: true;
}

/**
 * The end states `requires` can wait for, as CircleCI names them. `terminal` in a config is
 * shorthand for all of them and is expanded when the config is read.
 */
export const REQUIRED_STATUSES = ['success', 'failed', 'canceled', 'unauthorized', 'not_run'] as const;
export type RequiredStatus = (typeof REQUIRED_STATUSES)[number];

/** One entry of `requires`: a job of the workflow and the statuses it must end in (`[success]` by default). */
export interface JobRequirement {
  readonly job: string;
  readonly statuses: readonly RequiredStatus[];
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
export type RefPattern =
  { readonly kind: 'exact'; readonly value: string } | { readonly kind: 'regex'; readonly source: string };

/** A legacy `triggers: - schedule:` entry: a crontab line in UTC and the branches it runs on. */
export interface WorkflowSchedule {
  readonly cron: string;
  readonly branches: RefFilter;
}

/** A concrete job, ready to be scheduled: the protocol's job spec, which the lease carries to the builder. */
export type Job = JobSpec;

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
