/**
 * What the testing module's helpers return: the API's answers, as the API contract (src/api)
 * declares them.
 */
import type { z } from 'zod';
import type { JobSummaryResponse, PipelineResponse, pipelineStateSchema, WorkflowResponse } from '../api/responses.js';
import type { JobState } from '../protocol/job-states.js';

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
export type PipelineState = z.infer<typeof pipelineStateSchema>;

/** A pipeline as `GET /api/v1/pipelines/:id` shows it (the API contract's type). */
export type PipelineView = PipelineResponse;

/**
 * A job's state. Finished states: `success`, `failed`, `canceled`, `infrastructure_failed`,
 * `not_run` (a job it requires did not end as `requires` asks: by default, it did not succeed) and `unauthorized` (it names a context its
 * pipeline may not use).
 */
export type { JobState };

/** A job as `GET /api/v1/pipelines/:id/workflows` lists it. */
export type JobView = JobSummaryResponse;

/** A workflow with its jobs. */
export type WorkflowView = WorkflowResponse;

/** A pipeline that has finished: every job ended, or the pipeline is in `error` or `skipped`. */
export interface PipelineResult {
  readonly pipeline: PipelineView;
  readonly workflows: readonly WorkflowView[];
  /** The jobs of every workflow, in the order the API lists them. */
  readonly jobs: readonly JobView[];
  /** The job named `name`; throws when there is none. */
  job(name: string): JobView;
}
