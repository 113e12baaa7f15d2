/**
 * Pipelines as the API shows them, and what a new pipeline is asked for with.
 */
import type { JobType } from '../../../protocol/index.js';
import type { JobRequirement } from '../pipeline-config/index.js';

/** Where a pipeline comes from. */
export type PipelineTrigger = 'push' | 'pull_request' | 'api' | 'schedule';

/**
 * `pending`: waiting for its config to be fetched and parsed; `created`: workflows and jobs
 * exist; `error`: the config could not be fetched or is invalid (see `error`); `skipped`: no
 * workflow runs for this ref.
 */
export type PipelineState = 'pending' | 'created' | 'error' | 'skipped';

/** Everything needed to create a pipeline; the commit is always an exact sha. */
/**
 * The person behind a pipeline started by hand: `name` for display, `userId` (the account, when
 * there is one) decides which contexts its jobs may use.
 */
export interface Requester {
  readonly name: string | null;
  readonly userId: number | null;
}

/** The trigger detail's record of a requester. */
export function requesterDetail(requester: Requester): Record<string, unknown> {
  return {
    requestedBy: requester.name,
    ...(requester.userId !== null && { requestedByUserId: requester.userId }),
  };
}

export interface PipelineRequest {
  readonly projectId: number;
  readonly trigger: PipelineTrigger;
  /** `refs/heads/x`, `refs/tags/x` or `refs/pull/<n>/head`. */
  readonly ref: string;
  readonly branch?: string;
  readonly tag?: string;
  readonly sha: string;
  /** Trigger-specific facts kept for display: sender, head commit, pull request. */
  readonly detail: Readonly<Record<string, unknown>>;
  /** The stored webhook delivery it came from, if any. */
  readonly deliveryRowId?: number;
}

/** A problem or warning about a line of the config. */
export interface ConfigProblem {
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  /** Set when `line` and `column` are in this imported orb's text, not the config. */
  readonly orb?: string;
}

/** Why a pipeline is in state `error`. Config errors carry their line and column. */
export type PipelineError =
  | {
      readonly kind: 'config';
      readonly message: string;
      readonly errors: readonly ConfigProblem[];
    }
  | { readonly kind: 'fetch'; readonly message: string }
  | { readonly kind: 'internal'; readonly message: string };

export interface PipelineSummary {
  readonly id: number;
  readonly projectId: number;
  readonly number: number;
  readonly trigger: PipelineTrigger;
  readonly ref: string;
  readonly branch: string | null;
  readonly tag: string | null;
  readonly sha: string;
  readonly state: PipelineState;
  readonly error: PipelineError | null;
  /** What the config says that Gyre ignores, as CircleCI does; the pipeline runs regardless. */
  readonly configWarnings: readonly ConfigProblem[];
  readonly detail: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type { JobType } from '../../../protocol/index.js';

export interface JobSummary {
  readonly id: number;
  readonly workflowId: number;
  readonly name: string;
  readonly type: JobType;
  /** Which of the job's `parallelism` nodes this is (CIRCLE_NODE_INDEX), and how many there are. */
  readonly nodeIndex: number;
  readonly nodeTotal: number;
  readonly requires: readonly string[];
  readonly state: string;
  readonly attempt: number;
}

export interface WorkflowSummary {
  readonly id: number;
  readonly pipelineId: number;
  readonly name: string;
  readonly state: string;
  readonly jobs: readonly JobSummary[];
}

/** A planned job, ready to store: its resolved spec and what it needs of a builder. */
export interface NewJob {
  readonly name: string;
  /** `approval`: runs nothing (spec null, no resources); waits `on_hold` for a member's decision. */
  readonly type: JobType;
  /** The jobs of its workflow it waits for, each with the statuses it must end in. */
  readonly requires: readonly JobRequirement[];
  /** The contexts it names; see context-access.ts for who may use them. */
  readonly contexts: readonly string[];
  /** Why it may not use them: it is created `unauthorized`, with this message. */
  readonly refusal?: string;
  readonly spec: unknown;
  readonly cpus: number;
  readonly memoryBytes: number;
  /** How many nodes run it (`parallelism`): one row each, told its index. */
  readonly nodes: number;
}

/** A planned workflow, ready to store. */
export interface NewWorkflow {
  readonly name: string;
  readonly jobs: readonly NewJob[];
}
