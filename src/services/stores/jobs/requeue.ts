/**
 * Putting leased or running jobs back in the queue, at its head, and recording why their
 * attempt ended: expired leases, drain deadlines, revoked or restarted builders, and attempts a
 * builder reports as lost to the infrastructure.
 */
import type pg from 'pg';
import { MAX_INFRASTRUCTURE_RETRIES } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { advanceWorkflow, type SettleWorkflow } from './workflow-progress.js';

export interface LeasedJob {
  readonly id: number;
  readonly attempt: number;
  readonly workflowId: number;
  readonly userStepStarted: boolean;
  readonly infrastructureRetries: number;
  readonly cancelRequested: boolean;
}

export const LEASED_JOB_COLUMNS =
  'id, attempt, workflow_id, user_step_started, infrastructure_retries, cancel_requested';

export function toLeasedJob(row: {
  id: string;
  attempt: number;
  workflow_id: string;
  user_step_started: boolean;
  infrastructure_retries: number;
  cancel_requested: boolean;
}): LeasedJob {
  return {
    id: Number(row.id),
    attempt: row.attempt,
    workflowId: Number(row.workflow_id),
    userStepStarted: row.user_step_started,
    infrastructureRetries: row.infrastructure_retries,
    cancelRequested: row.cancel_requested,
  };
}

/**
 * Ends a job's current attempt that was lost to the infrastructure. Before any user step ran,
 * the job simply goes back to the head of the queue. After one ran, the attempt counts as
 * `infrastructure_failed` and the job is retried at most MAX_INFRASTRUCTURE_RETRIES times.
 * `countsAsFailure: false` (a drain deadline, a revoked builder) requeues without using a retry.
 */
export async function requeueLostAttempt(
  client: pg.PoolClient,
  job: LeasedJob,
  reason: string,
  countsAsFailure: boolean,
  settle: SettleWorkflow,
): Promise<'requeued' | 'failed'> {
  const failed = countsAsFailure && job.userStepStarted;
  await client.query(
    'UPDATE job_attempts SET outcome = $3, message = $4, finished_at = now() WHERE job_id = $1 AND attempt = $2',
    [job.id, job.attempt, failed ? 'infrastructure_failed' : 'requeued', reason],
  );
  // A job someone canceled is not worth another attempt, whatever ended this one.
  const final = job.cancelRequested
    ? 'canceled'
    : failed && job.infrastructureRetries >= MAX_INFRASTRUCTURE_RETRIES
      ? 'infrastructure_failed'
      : undefined;
  if (final) {
    await client.query(
      'UPDATE jobs SET state = $2, finished_at = now(), message = $3, lease_expires_at = NULL WHERE id = $1',
      [job.id, final, reason],
    );
    await advanceWorkflow(client, job.workflowId, settle);
    return 'failed';
  }
  await client.query(
    `UPDATE jobs SET state = 'queued', queue_priority = 0, queued_at = now(), builder_id = NULL, lease_id = NULL, lease_expires_at = NULL,
       infrastructure_retries = infrastructure_retries + $2, message = $3
     WHERE id = $1`,
    [job.id, failed ? 1 : 0, reason],
  );
  return 'requeued';
}

/** Which leased or running jobs lost their attempt. */
export type LostAttempts =
  | { readonly kind: 'lease-expired' }
  | { readonly kind: 'past-drain-deadline' }
  | { readonly kind: 'of-builder'; readonly builderId: number };

const LOST_ATTEMPTS_SQL: Record<LostAttempts['kind'], string> = {
  'lease-expired': 'lease_expires_at < now()',
  'past-drain-deadline': "builder_id IN (SELECT id FROM builders WHERE state = 'draining' AND drain_deadline <= now())",
  'of-builder': 'builder_id = $1',
};

/** Requeues (or fails, per the retry rules) every job of `lost`, in one transaction; returns how many. */
export async function requeueLostAttempts(
  db: Database,
  lost: LostAttempts,
  reason: string,
  countsAsFailure: boolean,
  settle: SettleWorkflow,
): Promise<number> {
  return withTransaction(db, async (client) => {
    const rows = await client.query<Parameters<typeof toLeasedJob>[0]>(
      // By workflow: workflows are locked in id order everywhere (workflow-progress.ts).
      `SELECT ${LEASED_JOB_COLUMNS} FROM jobs WHERE state IN ('leased', 'running') AND ${LOST_ATTEMPTS_SQL[lost.kind]}
       ORDER BY workflow_id, id FOR UPDATE SKIP LOCKED`,
      lost.kind === 'of-builder' ? [lost.builderId] : [],
    );
    for (const row of rows.rows) await requeueLostAttempt(client, toLeasedJob(row), reason, countsAsFailure, settle);
    return rows.rows.length;
  });
}
