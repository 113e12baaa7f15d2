/**
 * Approving an approval job (`type: approval`): `on_hold` → `success`, after which the jobs
 * requiring it go on (workflow-progress.ts). When it names contexts, only a person who may use
 * them all may approve it. Canceling one is a cancel (cancel-jobs.ts). Both
 * decisions name who made them in the job's message and in the audit log, in their transaction.
 */
import type pg from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { ConflictError, NotFoundError } from '../../../shared/errors.js';
import { writeAudit } from '../audit/audit-log.js';
import { advanceWorkflow, type SettleWorkflow } from './workflow-progress.js';
import { requireContexts, type ContextAuthorizer } from './context-authorizer.js';

export async function approveJob(
  db: Database,
  settle: SettleWorkflow,
  jobId: number,
  actor: string,
  authorize: ContextAuthorizer,
): Promise<void> {
  await withTransaction(db, async (client) => {
    // Its contexts limit who may approve, as in CircleCI; locked, so the decision is on this row.
    const held = await client.query<{ contexts: string[]; pipeline_id: string }>(
      `SELECT j.contexts, w.pipeline_id FROM jobs j JOIN workflows w ON w.id = j.workflow_id
       WHERE j.id = $1 AND j.type = 'approval' AND j.state = 'on_hold' FOR UPDATE OF j`,
      [jobId],
    );
    const job = held.rows[0];
    if (job) await requireContexts(authorize, job.contexts, Number(job.pipeline_id), 'approve this job');
    const approved = await client.query<{ workflow_id: string; name: string }>(
      `UPDATE jobs SET state = 'success', finished_at = now(), message = $2
       WHERE id = $1 AND type = 'approval' AND state = 'on_hold' RETURNING workflow_id, name`,
      [jobId, `Approved by ${actor}`],
    );
    const row = approved.rows[0];
    if (!row) throw await whyNotOnHold(client, jobId);
    await writeAudit(client, { actor, action: 'approval.approve', target: `job:${jobId}`, detail: { job: row.name } });
    await advanceWorkflow(client, Number(row.workflow_id), settle);
  });
}

async function whyNotOnHold(client: pg.PoolClient, jobId: number): Promise<Error> {
  const result = await client.query<{ type: string; state: string }>('SELECT type, state FROM jobs WHERE id = $1', [
    jobId,
  ]);
  const job = result.rows[0];
  if (!job) return new NotFoundError(`job ${jobId}`);
  if (job.type !== 'approval')
    return new ConflictError(
      `job ${jobId} is not an approval job; only a workflow job with \`type: approval\` waits for approval`,
      'not_an_approval',
    );
  const why = job.state === 'blocked' ? ': the jobs it requires have not ended yet' : ` (it is ${job.state})`;
  return new ConflictError(`job ${jobId} is not waiting for approval${why}`, 'not_on_hold');
}
