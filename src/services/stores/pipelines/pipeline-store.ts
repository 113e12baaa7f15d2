/**
 * Pipelines and workflows in PostgreSQL: creating pending pipelines, filling them from a planned
 * config (their jobs through the jobs store), settling workflows as their jobs end, and the reads
 * the API serves. It owns `pipelines` and `workflows`; jobs are the jobs store's.
 */
import type pg from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { pendingStatus, pipelineErrorStatus } from '../../core/github/commit-status.js';
import { queueCommitStatuses, queueWorkflowOutcome } from '../statuses/status-outbox.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import type { RerunSelection } from '../../core/pipelines/rerun-selection.js';
import type {
  ConfigProblem,
  JobSummary,
  NewWorkflow,
  PipelineError,
  PipelineRequest,
  PipelineSummary,
  WorkflowSummary,
} from '../../core/pipelines/pipeline-model.js';
import type { CancelResult, ContextAuthorizer, JobStore } from '../jobs/job-store.js';
import { toPipelineSummary, type PipelineRow, PIPELINE_COLUMNS } from './pipeline-rows.js';

export class PipelineStore {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobStore,
  ) {}

  /**
   * Creates a pipeline in state `pending` with the project's next number. The counter row lock
   * serialises concurrent creations per project, so numbers never repeat or skip.
   */
  async createPending(request: PipelineRequest): Promise<PipelineSummary> {
    return withTransaction(this.db, (client) => insertPendingPipeline(client, request));
  }

  /**
   * Stores the workflows and jobs of a pending pipeline and marks it created (or skipped), queueing
   * a `pending` commit status per workflow in the same transaction, with the config's warnings.
   */
  async fill(pipelineId: number, workflows: readonly NewWorkflow[], warnings: readonly ConfigProblem[]): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const claimed = await client.query(
        "UPDATE pipelines SET state = $2, config_warnings = $3, updated_at = now() WHERE id = $1 AND state = 'pending'",
        [pipelineId, workflows.length > 0 ? 'created' : 'skipped', JSON.stringify(warnings)],
      );
      // Another process filled it first (after a restart both may resume it); nothing left to do.
      if (claimed.rowCount === 0) return;
      const withRefusals: number[] = [];
      for (const workflow of workflows) {
        const inserted = await client.query<{ id: string }>(
          "INSERT INTO workflows (pipeline_id, name, state) VALUES ($1, $2, 'running') RETURNING id",
          [pipelineId, workflow.name],
        );
        const workflowId = Number(inserted.rows[0]!.id);
        if (await this.jobs.create(client, workflowId, workflow.jobs)) withRefusals.push(workflowId);
      }
      await queueCommitStatuses(
        client,
        pipelineId,
        workflows.map((w) => pendingStatus(w.name)),
      );
      // After the pending statuses, so a workflow that ends at once reports in order.
      for (const workflowId of withRefusals) await this.jobs.advance(client, workflowId);
    });
  }

  /**
   * Marks a pending pipeline `error`, queueing an `error` commit status that names the problem;
   * a config that was read may have warnings as well as errors.
   */
  async fail(pipelineId: number, error: PipelineError, warnings: readonly ConfigProblem[] = []): Promise<void> {
    await withTransaction(this.db, async (client) => {
      const failed = await client.query(
        `UPDATE pipelines SET state = 'error', error = $2, config_warnings = $3, updated_at = now()
          WHERE id = $1 AND state = 'pending'`,
        [pipelineId, JSON.stringify(error), JSON.stringify(warnings)],
      );
      if ((failed.rowCount ?? 0) > 0) await queueCommitStatuses(client, pipelineId, [pipelineErrorStatus(error)]);
    });
  }

  /**
   * Cancels a pipeline: jobs not yet leased end as `canceled` (their dependents `not_run`), and
   * leased or running ones are asked to stop through their next heartbeat. `actor` is who asked.
   */
  async cancel(pipelineId: number, actor: string): Promise<CancelResult> {
    await this.get(pipelineId);
    return this.jobs.cancel({ pipelineId }, actor);
  }

  /**
   * Auto-cancel: cancels what is left of the earlier pushed or triggered pipelines on
   * `pipeline`'s branch, as the project setting asks. Scheduled pipelines and reruns are left
   * alone, as CircleCI leaves them, and so are pull requests' (a fork's branch may share the
   * name). The job messages name the pipeline that made the others redundant. Returns their numbers.
   */
  async cancelRedundant(pipeline: PipelineSummary): Promise<number[]> {
    const earlier = await this.db.query<{ id: string; number: number }>(
      `SELECT p.id, p.number FROM pipelines p
       WHERE p.project_id = $1 AND p.branch = $2 AND p.id < $3 AND p.trigger IN ('push', 'api')
         AND NOT (p.trigger_detail ? 'rerunOf')
         AND EXISTS (SELECT 1 FROM workflows w JOIN jobs j ON j.workflow_id = w.id
                     WHERE w.pipeline_id = p.id AND j.state IN ('blocked', 'queued', 'leased', 'running', 'on_hold'))
       ORDER BY p.id`,
      [pipeline.projectId, pipeline.branch, pipeline.id],
    );
    for (const row of earlier.rows)
      await this.jobs.cancel({ pipelineId: Number(row.id) }, `system:auto-cancel for pipeline #${pipeline.number}`);
    return earlier.rows.map((r) => r.number);
  }

  /**
   * Gives a workflow its final state once none of its jobs is unfinished, and queues its commit
   * status: the jobs store calls it in each transaction that ended or released jobs. Jobs that
   * did not run do not fail it by themselves: a job waiting for `failed` is `not_run` when its
   * requirement succeeds, and the workflow still succeeded; a job left out after a failure fails
   * it through that failure.
   */
  async settleWorkflow(client: pg.PoolClient, workflowId: number): Promise<void> {
    const settled = await client.query<{ pipeline_id: string; name: string; state: string }>(
      `UPDATE workflows w SET state = CASE
           WHEN NOT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state NOT IN ('success', 'not_run')) THEN 'success'
           WHEN EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state = 'canceled') THEN 'canceled'
           ELSE 'failed' END
       WHERE w.id = $1 AND w.state = 'running'
         AND NOT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state IN ('blocked', 'queued', 'leased', 'running', 'on_hold'))
       RETURNING w.pipeline_id, w.name, w.state`,
      [workflowId],
    );
    const row = settled.rows[0];
    if (!row) return;
    const workflow = { id: workflowId, pipelineId: Number(row.pipeline_id), name: row.name, state: row.state };
    await queueWorkflowOutcome(client, workflow, await this.jobs.endedOf(client, workflowId));
  }

  /**
   * Reruns jobs of an ended workflow in place, as CircleCI's "Rerun workflow from failed" and
   * "Rerun job": the workflow runs again, reports pending again, and keeps the jobs that succeeded.
   * 409 `workflow_running` while it runs; see rerun-jobs.ts for the rest.
   */
  async rerunWorkflow(
    selection: RerunSelection,
    actor: string,
    authorize: ContextAuthorizer,
  ): Promise<{ readonly workflowId: number; readonly pipelineId: number; readonly jobs: readonly string[] }> {
    return withTransaction(this.db, async (client) => {
      const locked = await client.query<{ id: string; pipeline_id: string; name: string; state: string }>(
        `SELECT id, pipeline_id, name, state FROM workflows
         WHERE id = CASE WHEN $1::bigint IS NOT NULL THEN $1::bigint ELSE (SELECT workflow_id FROM jobs WHERE id = $2) END
         FOR UPDATE`,
        selection.kind === 'failed' ? [selection.workflowId, null] : [null, selection.jobId],
      );
      const workflow = locked.rows[0];
      if (!workflow)
        throw new NotFoundError(
          selection.kind === 'failed' ? `workflow ${selection.workflowId}` : `job ${selection.jobId}`,
        );
      if (workflow.state === 'running')
        throw new ConflictError(
          `workflow "${workflow.name}" is still running; rerun it once it has ended, or cancel it first`,
          'workflow_running',
        );
      const ids = { id: Number(workflow.id), pipelineId: Number(workflow.pipeline_id) };
      await client.query("UPDATE workflows SET state = 'running' WHERE id = $1", [ids.id]);
      await queueCommitStatuses(client, ids.pipelineId, [pendingStatus(workflow.name)]);
      const jobs = await this.jobs.rerun(client, ids, selection, actor, authorize);
      return { workflowId: ids.id, pipelineId: ids.pipelineId, jobs };
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
    const jobs = await this.jobs.ofPipeline(pipelineId);
    const byWorkflow = Map.groupBy(jobs, (job) => job.workflowId);
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
    return this.jobs.ofWorkflow(workflowId);
  }
}

/**
 * {@link PipelineStore.createPending} in the caller's transaction, for a caller that must do more
 * in the same one (a schedule claims its slot with it).
 */
export async function insertPendingPipeline(client: pg.PoolClient, request: PipelineRequest): Promise<PipelineSummary> {
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
}
