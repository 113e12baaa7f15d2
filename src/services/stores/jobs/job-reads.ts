/**
 * What the API and the UI read about jobs: summaries per pipeline and workflow, and one job in
 * detail with every attempt and its steps.
 */
import type pg from 'pg';
import type { EndedJob } from '../../core/github/commit-status.js';
import type { JobSummary } from '../../core/pipelines/pipeline-model.js';
import type { Database } from '../../database/create-pool.js';
import { NotFoundError } from '../../../shared/errors.js';
import { JOB_STATE_OF_NODES } from './job-nodes.js';
import {
  JOB_COLUMNS,
  toAttempt,
  ATTEMPT_COLUMNS,
  ATTEMPT_JOINS,
  toJobSummary,
  type AttemptRow,
  type JobDetail,
  type JobRow,
  type StepRow,
} from './job-rows.js';

export async function jobsOfPipeline(db: Database, pipelineId: number): Promise<JobSummary[]> {
  const jobs = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1 ORDER BY j.id`,
    [pipelineId],
  );
  return jobs.rows.map(toJobSummary);
}

export async function jobsOfWorkflow(db: Database, workflowId: number): Promise<JobSummary[]> {
  const jobs = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.workflow_id = $1 ORDER BY j.id`, [
    workflowId,
  ]);
  return jobs.rows.map(toJobSummary);
}

/** The end state of each job of a workflow, in the transaction that settles it. */
export async function endedJobsOf(client: pg.PoolClient, workflowId: number): Promise<EndedJob[]> {
  // One per job, not per node of a job with `parallelism`.
  const jobs = await client.query<EndedJob>(
    `SELECT name, ${JOB_STATE_OF_NODES} AS state FROM jobs WHERE workflow_id = $1 GROUP BY name ORDER BY min(id)`,
    [workflowId],
  );
  return jobs.rows;
}

/** A job with its spec, every attempt (which builder, how it ended) and the steps of each attempt. */
export async function jobDetail(db: Database, id: number): Promise<JobDetail> {
  const result = await db.query<
    JobRow & { spec: unknown; message: string | null; started_at: Date | null; finished_at: Date | null }
  >(`SELECT ${JOB_COLUMNS}, j.spec, j.message, j.started_at, j.finished_at FROM jobs j WHERE j.id = $1`, [id]);
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`job ${id}`);
  const attempts = await db.query<AttemptRow>(
    `SELECT ${ATTEMPT_COLUMNS} FROM job_attempts a ${ATTEMPT_JOINS} WHERE a.job_id = $1 ORDER BY a.attempt`,
    [id],
  );
  const steps = await db.query<StepRow>(
    'SELECT attempt, index, name, user_step, status, exit_code, started_at, finished_at FROM job_steps WHERE job_id = $1 ORDER BY attempt, index',
    [id],
  );
  return {
    ...toJobSummary(row),
    spec: row.spec,
    message: row.message,
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    attempts: attempts.rows.map((a) =>
      toAttempt(
        id,
        a,
        steps.rows.filter((s) => s.attempt === a.attempt),
      ),
    ),
  };
}
