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
  ssh_requested_login: string | null;
  ssh_requested: boolean;
  ssh_host: string | null;
  ssh_port: number | null;
  ssh_host_key_fingerprint: string | null;
  ssh_idle_until: Date | null;
  ssh_until: Date | null;
  ssh_connected: number | null;
}

/** The columns of {@link AttemptRow}, from job_attempts `a`, its builder `b` and the account `u` that asked for SSH. */
export const ATTEMPT_COLUMNS = `a.attempt, b.name AS builder, a.outcome, a.message, a.leased_at, a.finished_at,
  u.login AS ssh_requested_login, a.ssh AS ssh_requested, b.ssh_host, b.ssh_port,
  b.ssh_host_key_fingerprint, a.ssh_idle_until, a.ssh_until, a.ssh_connected`;
export const ATTEMPT_JOINS = `LEFT JOIN builders b ON b.id = a.builder_id LEFT JOIN users u ON u.id = a.ssh_requested_by`;

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
  /** Set for an attempt of a rerun with SSH. */
  readonly ssh: AttemptSsh | null;
}

/** How to reach an attempt rerun with SSH, and how long it waits for sessions. */
export interface AttemptSsh {
  /** The account that asked; null when it has been removed since. */
  readonly requestedBy: string | null;
  /** `ssh -p 64535 job-12@builder-1.example.com`; null when its builder has no SSH gateway (any more). */
  readonly command: string | null;
  readonly hostKeyFingerprint: string | null;
  /** Once the steps ended: when the job ends unless someone connects, and when it ends anyway. */
  readonly idleUntil: string | null;
  readonly until: string | null;
  readonly connected: number | null;
}

export interface JobDetail extends JobSummary {
  readonly spec: unknown;
  readonly message: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly attempts: readonly AttemptDetail[];
}

export function toAttempt(jobId: number, row: AttemptRow, steps: readonly StepRow[]): AttemptDetail {
  return {
    attempt: row.attempt,
    builder: row.builder,
    outcome: row.outcome,
    message: row.message,
    leasedAt: row.leased_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    ssh: row.ssh_requested ? attemptSshOf(jobId, row) : null,
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

function attemptSshOf(jobId: number, row: AttemptRow): AttemptSsh {
  const reachable = row.ssh_host !== null && row.ssh_port !== null;
  return {
    requestedBy: row.ssh_requested_login,
    command: reachable ? sshCommandOf(jobId, row.ssh_host!, row.ssh_port!) : null,
    hostKeyFingerprint: row.ssh_host_key_fingerprint,
    idleUntil: row.ssh_idle_until?.toISOString() ?? null,
    until: row.ssh_until?.toISOString() ?? null,
    connected: row.ssh_connected,
  };
}

/** What a person types to reach a job: the builder's gateway tells jobs apart by the user name. */
export function sshCommandOf(jobId: number, host: string, port: number): string {
  // An IPv6 address stays one word; ssh takes it as it is after the @.
  return `ssh -p ${port} job-${jobId}@${host}`;
}
