/**
 * Canceling: jobs not yet leased, and approval jobs on hold, end as `canceled` at once (their
 * dependents `not_run` through the DAG), and leased or running ones are asked to stop: their next
 * lease renewal answers `cancel`. The message of a job ended at once names who canceled it;
 * canceling an approval job is a decision on it, which the audit log records too, as it records
 * approving one (approve-job.ts).
 */
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { NotFoundError } from '../../../shared/errors.js';
import { writeAudit } from '../audit/audit-log.js';
import { advanceWorkflow, type SettleWorkflow } from './workflow-progress.js';

/** Every job of a pipeline, or one job. */
export type CancelScope = { readonly pipelineId: number } | { readonly jobId: number };

export interface CancelResult {
  /** Jobs that ended as `canceled` at once. */
  readonly canceled: number;
  /** Leased or running jobs told to stop. */
  readonly signalled: number;
}

export async function cancelJobs(
  db: Database,
  scope: CancelScope,
  settle: SettleWorkflow,
  actor: string,
): Promise<CancelResult> {
  const [where, id] =
    'jobId' in scope
      ? ['id = $1', scope.jobId]
      : ['workflow_id IN (SELECT id FROM workflows WHERE pipeline_id = $1)', scope.pipelineId];
  return withTransaction(db, async (client) => {
    const workflows = await client.query<{ workflow_id: string }>(
      // In id order, as every transaction takes workflow locks (workflow-progress.ts): no deadlock.
      `SELECT DISTINCT workflow_id FROM jobs WHERE ${where} ORDER BY workflow_id`,
      [id],
    );
    if ('jobId' in scope && workflows.rows.length === 0) throw new NotFoundError(`job ${scope.jobId}`);
    const canceled = await client.query<{ id: string; type: string; name: string }>(
      `UPDATE jobs SET state = 'canceled', finished_at = now(),
         message = 'Canceled by ' || $2
       WHERE ${where} AND state IN ('queued', 'blocked', 'on_hold') RETURNING id, type, name`,
      [id, actor],
    );
    for (const job of canceled.rows.filter((j) => j.type === 'approval'))
      await writeAudit(client, {
        actor,
        action: 'approval.cancel',
        target: `job:${job.id}`,
        detail: { job: job.name },
      });
    const signalled = await client.query(
      `UPDATE jobs SET cancel_requested = true WHERE ${where} AND state IN ('leased', 'running')`,
      [id],
    );
    for (const row of workflows.rows) await advanceWorkflow(client, Number(row.workflow_id), settle);
    return { canceled: canceled.rowCount ?? 0, signalled: signalled.rowCount ?? 0 };
  });
}
