/**
 * A rerun inside an ended workflow (core/pipelines/rerun-selection.ts picks the jobs): the jobs
 * go back to `blocked`, keeping their earlier attempts, and the DAG (workflow-progress.ts) queues
 * those whose requirements ended as asked; a rerun job's next lease is its next attempt. Runs in
 * the transaction of the pipelines store, which reopens the workflow.
 */
import type pg from 'pg';
import { ConflictError } from '../../../shared/errors.js';
import { planRerun, type RerunSelection } from '../../core/pipelines/rerun-selection.js';
import { writeAudit } from '../audit/audit-log.js';
import { requireContexts, type ContextAuthorizer } from './context-authorizer.js';

/** Resets the selected jobs of `workflow` (whose row the caller has locked); returns the names chosen. */
export async function rerunJobs(
  client: pg.PoolClient,
  workflow: { readonly id: number; readonly pipelineId: number },
  selection: RerunSelection,
  actor: string,
  authorize: ContextAuthorizer,
): Promise<readonly string[]> {
  const rows = await client.query<{ id: string; name: string; state: string; requires: string[]; contexts: string[] }>(
    'SELECT id, name, state, requires, contexts FROM jobs WHERE workflow_id = $1 ORDER BY id',
    [workflow.id],
  );
  const jobs = rows.rows.map((r) => ({ ...r, id: Number(r.id) }));
  const plan = planRerun(jobs, selection);
  if (!plan.ok) throw new ConflictError(plan.message, plan.code);
  // The rerun is the rerunner's: they may not run, again, jobs with secrets they may not use.
  const contexts = [...new Set(plan.reset.flatMap((j) => j.contexts))];
  await requireContexts(authorize, contexts, workflow.pipelineId, 'rerun these jobs');
  await client.query(
    `UPDATE jobs SET state = 'blocked', message = $2, started_at = NULL, finished_at = NULL, queued_at = NULL, builder_id = NULL,
       lease_id = NULL, lease_expires_at = NULL, cancel_requested = false, user_step_started = false,
       infrastructure_retries = 0
     WHERE id = ANY($1::bigint[])`,
    [plan.reset.map((j) => j.id), `Rerun by ${actor}`],
  );
  await writeAudit(client, {
    actor,
    action: selection.kind === 'failed' ? 'workflow.rerun_failed' : 'job.rerun',
    target: selection.kind === 'failed' ? `workflow:${workflow.id}` : `job:${selection.jobId}`,
    detail: { jobs: [...new Set(plan.reset.map((j) => j.name))] },
  });
  return plan.chosen;
}
