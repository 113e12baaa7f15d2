/**
 * The workflow DAG, on the jobs' side: when a job ends, queue the jobs whose requirements have all
 * ended in a status they accept (`success` unless `requires` lists others) and mark `not_run`
 * every job waiting for a status that can no longer happen, and so on down the graph. Then
 * the workflow's owner settles the workflow (see {@link SettleWorkflow}). Runs inside the
 * transaction that ended the job.
 */
import type pg from 'pg';
import { FINAL_JOB_STATES } from '../../../protocol/index.js';
import { JOB_STATE_OF_NODES } from './job-nodes.js';

/**
 * Gives a workflow its final state once none of its jobs is unfinished, in the transaction that
 * changed its jobs. The pipelines store owns workflows and implements it; the jobs store only
 * calls it, so neither writes the other's table.
 */
export type SettleWorkflow = (client: pg.PoolClient, workflowId: number) => Promise<void>;

/**
 * The workflow's ended jobs (all of their nodes ended, job-nodes.ts) with the CircleCI status
 * `requires` compares against. CircleCI's
 * statuses have no name for Gyre's `infrastructure_failed`: such a job did fail, so it is
 * `failed`, and a job waiting for `failed` (to notify or clean up) runs after it.
 */
const ENDED_JOBS = `ended AS (
  SELECT name, CASE s.state WHEN 'infrastructure_failed' THEN 'failed' ELSE s.state END AS status
  FROM (SELECT name, ${JOB_STATE_OF_NODES} AS state FROM jobs WHERE workflow_id = $1
        GROUP BY name HAVING bool_and(state = ANY($2::text[]))) s)`;

/** The statuses requirement `r.name` of job `j` accepts; jobs stored without a map wait for success. */
const ACCEPTED = `COALESCE(j.required_statuses -> r.name, '["success"]'::jsonb)`;

export async function advanceWorkflow(
  client: pg.PoolClient,
  workflowId: number,
  settle: SettleWorkflow,
): Promise<void> {
  // Jobs of one workflow that end at once (a matrix's instances, a job's nodes) end in their own
  // transactions; each must see the others' ends, or the jobs requiring both stay blocked. The
  // workflow's row lock puts them in a row, and each statement after it sees those before.
  await client.query('SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE', [workflowId]);
  const blocked = await client.query('SELECT 1 FROM jobs WHERE workflow_id = $1 AND state = $2 LIMIT 1', [
    workflowId,
    'blocked',
  ]);
  if ((blocked.rowCount ?? 0) > 0) await releaseBlockedJobs(client, workflowId);
  await settle(client, workflowId);
}

/**
 * A blocked job whose requirement ended in a status it does not accept can never run: it ends
 * `not_run`, as CircleCI ends a blocked job that cannot run (and jobs requiring it then see
 * `not_run`). Repeat, since that may settle the jobs requiring it. Then queue the jobs whose every
 * requirement ended in a status it accepts, or put them on hold for a decision if they are approval jobs.
 */
async function releaseBlockedJobs(client: pg.PoolClient, workflowId: number): Promise<void> {
  let marked: number;
  do {
    const result = await client.query(
      `WITH ${ENDED_JOBS}
       UPDATE jobs j SET state = 'not_run', finished_at = now()
       WHERE j.workflow_id = $1 AND j.state = 'blocked'
         AND EXISTS (SELECT 1 FROM unnest(j.requires) AS r(name) JOIN ended e ON e.name = r.name
                     WHERE NOT (${ACCEPTED} ? e.status))`,
      [workflowId, FINAL_JOB_STATES],
    );
    marked = result.rowCount ?? 0;
  } while (marked > 0);

  await client.query(
    `WITH ${ENDED_JOBS}
     UPDATE jobs j SET state = CASE j.type WHEN 'approval' THEN 'on_hold' ELSE 'queued' END,
       queued_at = CASE j.type WHEN 'approval' THEN NULL ELSE now() END, queue_priority = 1
     WHERE j.workflow_id = $1 AND j.state = 'blocked'
       AND NOT EXISTS (SELECT 1 FROM unnest(j.requires) AS r(name)
                       WHERE NOT EXISTS (SELECT 1 FROM ended e WHERE e.name = r.name AND ${ACCEPTED} ? e.status))`,
    [workflowId, FINAL_JOB_STATES],
  );
}
