/**
 * Row shapes of the jobs tables (jobs, job_attempts, job_steps) and their mapping to API objects.
 */
import type { JobSummary, JobType } from '../../core/pipelines/pipeline-model.js';

export const JOB_COLUMNS =
  'j.id, j.workflow_id, j.name, j.type, j.node_index, j.node_total, j.requires, j.state, j.attempt';

export interface JobRow {
  id: string;
  workflow_id: string;
  name: string;
  type: JobType;
  node_index: number;
  node_total: number;
  requires: string[];
  state: string;
  attempt: number;
}

export function toJobSummary(row: JobRow): JobSummary {
  return {
    id: Number(row.id),
    workflowId: Number(row.workflow_id),
    name: row.name,
    type: row.type,
    nodeIndex: row.node_index,
    nodeTotal: row.node_total,
    requires: row.requires,
    state: row.state,
    attempt: row.attempt,
  };
}

export interface AttemptRow {
  attempt: number;
  builder: string | null;
  outcome: string | null;
  message: string | null;
  leased_at: Date;
  finished_at: Date | null;
}

export interface StepRow {
  attempt: number;
  index: number;
  name: string;
  user_step: boolean;
  status: string;
  exit_code: number | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface StepDetail {
  readonly index: number;
  readonly name: string;
  readonly user: boolean;
  readonly status: string;
  readonly exitCode: number | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
}

export interface AttemptDetail {
  readonly attempt: number;
  readonly builder: string | null;
  /** How the attempt ended; null while it runs. */
  readonly outcome: string | null;
  readonly message: string | null;
  readonly leasedAt: string;
  readonly finishedAt: string | null;
  readonly steps: readonly StepDetail[];
}

export interface JobDetail extends JobSummary {
  readonly spec: unknown;
  readonly message: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly attempts: readonly AttemptDetail[];
}

export function toAttempt(row: AttemptRow, steps: readonly StepRow[]): AttemptDetail {
  return {
    attempt: row.attempt,
    builder: row.builder,
    outcome: row.outcome,
    message: row.message,
    leasedAt: row.leased_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    steps: steps.map((s) => ({
      index: s.index,
      name: s.name,
      user: s.user_step,
      status: s.status,
      exitCode: s.exit_code,
      startedAt: s.started_at?.toISOString() ?? null,
      finishedAt: s.finished_at?.toISOString() ?? null,
      durationMs: s.started_at && s.finished_at ? s.finished_at.getTime() - s.started_at.getTime() : null,
    })),
  };
}
