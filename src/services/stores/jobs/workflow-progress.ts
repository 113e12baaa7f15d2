/**
 * The workflow DAG, on the jobs' side: when a job ends, queue the jobs whose requirements have
 * all succeeded and mark `not_run` every job that (transitively) requires one that did not. Then
 * the workflow's owner settles the workflow (see {@link SettleWorkflow}). Runs inside the
 * transaction that ended the job.
 */
import type pg from 'pg';

/**
 * Gives a workflow its final state once none of its jobs is unfinished, in the transaction that
 * changed its jobs. The pipelines store owns workflows and implements it; the jobs store only
 * calls it, so neither writes the other's table.
 */
export type SettleWorkflow = (client: pg.PoolClient, workflowId: number) => Promise<void>;

const UNSUCCESSFUL = ['failed', 'canceled', 'infrastructure_failed', 'not_run', 'unauthorized'];

export async function advanceWorkflow(
  client: pg.PoolClient,
  workflowId: number,
  settle: SettleWorkflow,
): Promise<void> {
  const blocked = await client.query('SELECT 1 FROM jobs WHERE workflow_id = $1 AND state = $2 LIMIT 1', [
    workflowId,
    'blocked',
  ]);
  if ((blocked.rowCount ?? 0) > 0) await releaseBlockedJobs(client, workflowId);
  await settle(client, workflowId);
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
