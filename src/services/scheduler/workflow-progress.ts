/**
 * The workflow DAG: when a job ends, queue the jobs whose requirements have all succeeded, mark
 * `not_run` every job that (transitively) requires one that did not, and settle the workflow
 * once all its jobs have ended. Runs inside the transaction that ended the job, which also
 * queues the settled workflow's GitHub commit status.
 */
import type pg from 'pg';
import { queueWorkflowOutcome } from '../github/status-outbox.js';

const UNSUCCESSFUL = ['failed', 'canceled', 'infrastructure_failed', 'not_run'];

export async function advanceWorkflow(client: pg.PoolClient, workflowId: number): Promise<void> {
  const blocked = await client.query('SELECT 1 FROM jobs WHERE workflow_id = $1 AND state = $2 LIMIT 1', [
    workflowId,
    'blocked',
  ]);
  if ((blocked.rowCount ?? 0) > 0) await releaseBlockedJobs(client, workflowId);
  await settleWorkflow(client, workflowId);
}

async function releaseBlockedJobs(client: pg.PoolClient, workflowId: number): Promise<void> {
  // Dependents of unsuccessful jobs can never run; repeat so the whole chain below is marked.
  let marked: number;
  do {
    const result = await client.query(
      `UPDATE jobs SET state = 'not_run', finished_at = now()
       WHERE workflow_id = $1 AND state = 'blocked'
         AND requires && ARRAY(SELECT name FROM jobs WHERE workflow_id = $1 AND state = ANY($2::text[]))`,
      [workflowId, UNSUCCESSFUL],
    );
    marked = result.rowCount ?? 0;
  } while (marked > 0);

  await client.query(
    `UPDATE jobs j SET state = 'queued', queued_at = now(), queue_priority = 1
     WHERE j.workflow_id = $1 AND j.state = 'blocked'
       AND NOT EXISTS (SELECT 1 FROM unnest(j.requires) AS r(name)
                       WHERE NOT EXISTS (SELECT 1 FROM jobs d WHERE d.workflow_id = $1 AND d.name = r.name AND d.state = 'success'))`,
    [workflowId],
  );
}

/** Gives a workflow its final state once none of its jobs is unfinished, and queues its commit status. */
async function settleWorkflow(client: pg.PoolClient, workflowId: number): Promise<void> {
  const settled = await client.query<{ pipeline_id: string; name: string; state: string }>(
    `UPDATE workflows w SET state = CASE
         WHEN NOT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state <> 'success') THEN 'success'
         WHEN EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state = 'canceled') THEN 'canceled'
         ELSE 'failed' END
     WHERE w.id = $1 AND w.state = 'running'
       AND NOT EXISTS (SELECT 1 FROM jobs WHERE workflow_id = $1 AND state IN ('blocked', 'queued', 'leased', 'running'))
     RETURNING w.pipeline_id, w.name, w.state`,
    [workflowId],
  );
  const row = settled.rows[0];
  if (row)
    await queueWorkflowOutcome(client, {
      id: workflowId,
      pipelineId: Number(row.pipeline_id),
      name: row.name,
      state: row.state,
    });
}
