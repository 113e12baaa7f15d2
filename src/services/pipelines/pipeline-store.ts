/**
 * Pipelines, workflows and jobs in PostgreSQL: creating pending pipelines, filling them from a
 * parsed config, and the reads the API serves.
 */
import type { Database } from '../database/create-pool.js';
import { withTransaction } from '../database/with-transaction.js';
import { advanceWorkflow } from '../scheduler/workflow-progress.js';
import { pendingStatus, pipelineErrorStatus } from '../github/commit-status.js';
import { queueCommitStatuses } from '../github/status-outbox.js';
import { NotFoundError } from '../../shared/errors.js';
import type { JobSummary, PipelineError, PipelineRequest, PipelineSummary, WorkflowSummary } from './pipeline-model.js';
import {
  toAttempt,
  toJobSummary,
  toPipelineSummary,
  type AttemptRow,
  type JobDetail,
  type JobRow,
  type PipelineRow,
  type StepRow,
  PIPELINE_COLUMNS,
  JOB_COLUMNS,
} from './pipeline-rows.js';

/** A workflow to store: its jobs with their resolved specs. */
export interface NewWorkflow {
  readonly name: string;
  readonly jobs: readonly {
    readonly name: string;
    readonly requires: readonly string[];
    readonly spec: unknown;
    readonly cpus: number;
    readonly memoryBytes: number;
  }[];
}

export class PipelineStore {
  constructor(private readonly db: Database) {}

  /**
   * Creates a pipeline in state `pending` with the project's next number. The counter row lock
   * serialises concurrent creations per project, so numbers never repeat or skip.
   */
  async createPending(request: PipelineRequest): Promise<PipelineSummary> {
    return withTransaction(this.db, async (client) => {
      const counter = await client.query<{ n: number }>(
        'UPDATE projects SET pipeline_counter = pipeline_counter + 1 WHERE id = $1 RETURNING pipeline_counter AS n',
        [request.projectId],
      );
      const number = counter.rows[0]?.n;
      if (number === undefined) throw new NotFoundError(`project ${request.projectId}`);
      const result = await client.query<PipelineRow>(
        `INSERT INTO pipelines (project_id, number, delivery_id, trigger, ref, branch, tag, sha, state, trigger_detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) RETURNING ${PIPELINE_COLUMNS}`,
        [
          request.projectId,
          number,
          request.deliveryRowId ?? null,
          request.trigger,
          request.ref,
          request.branch ?? null,
          request.tag ?? null,
          request.sha,
          JSON.stringify(request.detail),
        ],
      );
      return toPipelineSummary(result.rows[0]!);
    });
  }

  /**
   * Stores the workflows and jobs of a pending pipeline and marks it created (or skipped), queueing
   * a `pending` commit status per workflow in the same transaction.
   */
  async fill(pipelineId: number, workflows: readonly NewWorkflow[]): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const claimed = await client.query(
        "UPDATE pipelines SET state = $2, updated_at = now() WHERE id = $1 AND state = 'pending'",
        [pipelineId, workflows.length > 0 ? 'created' : 'skipped'],
      );
      // Another process filled it first (after a restart both may resume it); nothing left to do.
      if (claimed.rowCount === 0) return;
      for (const workflow of workflows) {
        const inserted = await client.query<{ id: string }>(
          "INSERT INTO workflows (pipeline_id, name, state) VALUES ($1, $2, 'running') RETURNING id",
          [pipelineId, workflow.name],
        );
        for (const job of workflow.jobs) {
          // Jobs without requirements are ready for the scheduler; the others wait for theirs.
          const ready = job.requires.length === 0;
          await client.query(
            'INSERT INTO jobs (workflow_id, name, requires, spec, state, queued_at, cpus, memory_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
            [
              inserted.rows[0]!.id,
              job.name,
              job.requires,
              JSON.stringify(job.spec),
              ready ? 'queued' : 'blocked',
              ready ? new Date() : null,
              job.cpus,
              job.memoryBytes,
            ],
          );
        }
      }
      await queueCommitStatuses(
        client,
        pipelineId,
        workflows.map((w) => pendingStatus(w.name)),
      );
    });
  }

  /** Marks a pending pipeline `error`, queueing an `error` commit status that names the problem. */
  async fail(pipelineId: number, error: PipelineError): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const failed = await client.query(
        "UPDATE pipelines SET state = 'error', error = $2, updated_at = now() WHERE id = $1 AND state = 'pending'",
        [pipelineId, JSON.stringify(error)],
      );
      if ((failed.rowCount ?? 0) > 0) await queueCommitStatuses(client, pipelineId, [pipelineErrorStatus(error)]);
    });
  }

  /**
   * Cancels a pipeline: jobs not yet leased end as `canceled` (their dependents `not_run`), and
   * leased or running ones are asked to stop through their next heartbeat.
   */
  async cancel(pipelineId: number): Promise<{ canceled: number; signalled: number }> {
    await this.get(pipelineId);
    return withTransaction(this.db, async (client) => {
      const workflows = `SELECT id FROM workflows WHERE pipeline_id = $1`;
      const canceled = await client.query(
        `UPDATE jobs SET state = 'canceled', finished_at = now() WHERE workflow_id IN (${workflows}) AND state IN ('queued', 'blocked')`,
        [pipelineId],
      );
      const signalled = await client.query(
        `UPDATE jobs SET cancel_requested = true WHERE workflow_id IN (${workflows}) AND state IN ('leased', 'running')`,
        [pipelineId],
      );
      const ids = await client.query<{ id: string }>(workflows, [pipelineId]);
      for (const row of ids.rows) await advanceWorkflow(client, Number(row.id));
      return { canceled: canceled.rowCount ?? 0, signalled: signalled.rowCount ?? 0 };
    });
  }

  /**
   * Cancels one job the way `cancel` does a whole pipeline: not yet leased, it ends as
   * `canceled` (its dependents `not_run`); leased or running, it is asked to stop.
   */
  async cancelJob(jobId: number): Promise<{ canceled: number; signalled: number }> {
    return withTransaction(this.db, async (client) => {
      const job = await client.query<{ workflow_id: string }>('SELECT workflow_id FROM jobs WHERE id = $1', [jobId]);
      const workflowId = job.rows[0]?.workflow_id;
      if (workflowId === undefined) throw new NotFoundError(`job ${jobId}`);
      const canceled = await client.query(
        "UPDATE jobs SET state = 'canceled', finished_at = now() WHERE id = $1 AND state IN ('queued', 'blocked')",
        [jobId],
      );
      const signalled = await client.query(
        "UPDATE jobs SET cancel_requested = true WHERE id = $1 AND state IN ('leased', 'running')",
        [jobId],
      );
      await advanceWorkflow(client, Number(workflowId));
      return { canceled: canceled.rowCount ?? 0, signalled: signalled.rowCount ?? 0 };
    });
  }

  /** The workflow a job belongs to, to find its pipeline. */
  async workflow(id: number): Promise<Omit<WorkflowSummary, 'jobs'>> {
    const result = await this.db.query<{ id: string; pipeline_id: string; name: string; state: string }>(
      'SELECT id, pipeline_id, name, state FROM workflows WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`workflow ${id}`);
    return { id: Number(row.id), pipelineId: Number(row.pipeline_id), name: row.name, state: row.state };
  }

  async pendingIds(): Promise<number[]> {
    const result = await this.db.query<{ id: string }>("SELECT id FROM pipelines WHERE state = 'pending' ORDER BY id");
    return result.rows.map((r) => Number(r.id));
  }

  async get(id: number): Promise<PipelineSummary> {
    const result = await this.db.query<PipelineRow>(`SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`pipeline ${id}`);
    return toPipelineSummary(row);
  }

  async list(projectId: number, page: { limit: number; before?: number; branch?: string }): Promise<PipelineSummary[]> {
    const result = await this.db.query<PipelineRow>(
      `SELECT ${PIPELINE_COLUMNS} FROM pipelines WHERE project_id = $1 AND ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR branch = $3)
       ORDER BY id DESC LIMIT $4`,
      [projectId, page.before ?? null, page.branch ?? null, page.limit],
    );
    return result.rows.map(toPipelineSummary);
  }

  async workflows(pipelineId: number): Promise<WorkflowSummary[]> {
    await this.get(pipelineId);
    const workflows = await this.db.query<{ id: string; name: string; state: string }>(
      'SELECT id, name, state FROM workflows WHERE pipeline_id = $1 ORDER BY id',
      [pipelineId],
    );
    const jobs = await this.db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1 ORDER BY j.id`,
      [pipelineId],
    );
    const byWorkflow = Map.groupBy(jobs.rows.map(toJobSummary), (job) => job.workflowId);
    return workflows.rows.map((w) => ({
      id: Number(w.id),
      pipelineId,
      name: w.name,
      state: w.state,
      jobs: byWorkflow.get(Number(w.id)) ?? [],
    }));
  }

  async jobsOfWorkflow(workflowId: number): Promise<JobSummary[]> {
    const exists = await this.db.query('SELECT 1 FROM workflows WHERE id = $1', [workflowId]);
    if (exists.rowCount === 0) throw new NotFoundError(`workflow ${workflowId}`);
    const jobs = await this.db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs j WHERE j.workflow_id = $1 ORDER BY j.id`,
      [workflowId],
    );
    return jobs.rows.map(toJobSummary);
  }

  /** A job with its spec, every attempt (which builder, how it ended) and the steps of each attempt. */
  async job(id: number): Promise<JobDetail> {
    const result = await this.db.query<
      JobRow & { spec: unknown; message: string | null; started_at: Date | null; finished_at: Date | null }
    >(`SELECT ${JOB_COLUMNS}, j.spec, j.message, j.started_at, j.finished_at FROM jobs j WHERE j.id = $1`, [id]);
    const row = result.rows[0];
    if (!row) throw new NotFoundError(`job ${id}`);
    const attempts = await this.db.query<AttemptRow>(
      `SELECT a.attempt, b.name AS builder, a.outcome, a.message, a.leased_at, a.finished_at FROM job_attempts a LEFT JOIN builders b ON b.id = a.builder_id
       WHERE a.job_id = $1 ORDER BY a.attempt`,
      [id],
    );
    const steps = await this.db.query<StepRow>(
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
          a,
          steps.rows.filter((s) => s.attempt === a.attempt),
        ),
      ),
    };
  }
}
