/**
 * What the testing module's helpers return: the API's answers, typed as far as tests need them.
 */

/** A project made by `createProject`, with its repository on the environment's git server. */
export interface GyreProject {
  readonly id: number;
  readonly name: string;
  /** The branch the folder was committed to; the project's default branch. */
  readonly defaultBranch: string;
  /** The git:// URL the services box and job containers clone from. */
  readonly gitUrl: string;
  /** Where GitHub would deliver webhooks for this project. */
  readonly webhookUrl: string;
  /** The secret that signs those webhooks (`X-Hub-Signature-256`). */
  readonly webhookSecret: string;
  /** The commit `createProject` pushed. */
  readonly sha: string;
}

/** `pending`: its config is being read; `created`: it has workflows; `error`: see `error`; `skipped`: nothing to run. */
export type PipelineState = 'pending' | 'created' | 'error' | 'skipped';

/** A pipeline as `GET /api/v1/pipelines/:id` shows it. */
export interface PipelineView {
  readonly id: number;
  readonly projectId: number;
  readonly number: number;
  readonly ref: string;
  readonly branch: string | null;
  readonly sha: string;
  readonly state: PipelineState;
  /** Why the pipeline is in state `error`; config errors list each problem with its line. */
  readonly error: {
    readonly kind: string;
    readonly message: string;
    readonly errors?: readonly { line: number; column: number; path: string; message: string }[];
  } | null;
  readonly [field: string]: unknown;
}

/**
 * A job's state. Finished states: `success`, `failed`, `canceled`, `infrastructure_failed` and
 * `not_run` (a job it requires did not succeed).
 */
import type { JobState } from '../protocol/job-states.js';

export type { JobState };

/** A job as `GET /api/v1/pipelines/:id/workflows` lists it. */
export interface JobView {
  readonly id: number;
  readonly workflowId: number;
  readonly name: string;
  readonly requires: readonly string[];
  readonly state: JobState;
  readonly attempt: number;
}

export interface WorkflowView {
  readonly id: number;
  readonly pipelineId: number;
  readonly name: string;
  readonly state: string;
  readonly jobs: readonly JobView[];
}

/** A pipeline that has finished: every job ended, or the pipeline is in `error` or `skipped`. */
export interface PipelineResult {
  readonly pipeline: PipelineView;
  readonly workflows: readonly WorkflowView[];
  /** The jobs of every workflow, in the order the API lists them. */
  readonly jobs: readonly JobView[];
  /** The job named `name`; throws when there is none. */
  job(name: string): JobView;
}
