/**
 * The fenced writes of a builder about a job it leased: ack, heartbeat, step reports and
 * completion, and the services box's refusal of a lease. Each one names `(job, attempt, leaseId)` and succeeds only while that lease is the
 * job's current one and belongs to the writing builder; otherwise it is a StaleLeaseError (409).
 */
import type { CompleteRequest, LeaseToken, StepReport } from '../../../protocol/index.js';
import { LEASE_TTL_MS, StaleLeaseError } from '../../../protocol/index.js';
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { requeueLostAttempt, toLeasedJob, LEASED_JOB_COLUMNS } from './requeue.js';
import { advanceWorkflow, type SettleWorkflow } from './workflow-progress.js';
import { cachePartitionOf } from '../../core/access/fork-caches.js';
import type { CacheScope } from '../caches/cache-store.js';

const FENCE = 'id = $1 AND attempt = $2 AND lease_id = $3::uuid AND builder_id = $4';

/** leased → running: the builder acknowledged the assignment. */
export async function ackLease(db: Database, builderId: number, jobId: number, token: LeaseToken): Promise<void> {
  const result = await db.query(
    `UPDATE jobs SET state = 'running', started_at = COALESCE(started_at, now()) WHERE ${FENCE} AND state IN ('leased', 'running')`,
    [jobId, token.attempt, token.leaseId, builderId],
  );
  if (result.rowCount === 0) throw StaleLeaseError.of(jobId, token);
}

/** Throws StaleLeaseError unless the token is the job's current lease, held by this builder. */
export async function checkLease(db: Database, builderId: number, jobId: number, token: LeaseToken): Promise<void> {
  const result = await db.query(`SELECT 1 FROM jobs WHERE ${FENCE} AND state IN ('leased', 'running')`, [
    jobId,
    token.attempt,
    token.leaseId,
    builderId,
  ]);
  if (result.rowCount === 0) throw StaleLeaseError.of(jobId, token);
}

/**
 * Like {@link checkLease}, and answers the project the leased job builds and the partition of its
 * caches (a fork's pull request has its own), for the transfer routes.
 */
export async function leasedJobProject(
  db: Database,
  builderId: number,
  jobId: number,
  token: LeaseToken,
): Promise<CacheScope> {
  const result = await db.query<{
    project_id: string;
    ref: string;
    pull_request: Parameters<typeof cachePartitionOf>[0]['pullRequest'];
    pass_secrets_to_forks: boolean;
  }>(
    `SELECT p.project_id, p.ref, p.trigger_detail->'pullRequest' AS pull_request, pr.pass_secrets_to_forks
       FROM (SELECT workflow_id FROM jobs WHERE ${FENCE} AND state IN ('leased', 'running')) j
       JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id
       JOIN projects pr ON pr.id = p.project_id`,
    [jobId, token.attempt, token.leaseId, builderId],
  );
  const row = result.rows[0];
  if (!row) throw StaleLeaseError.of(jobId, token);
  const build = { ref: row.ref, pullRequest: row.pull_request };
  return { projectId: Number(row.project_id), partition: cachePartitionOf(build, row.pass_secrets_to_forks) };
}

/** Renews the lease and tells whether the job was canceled. */
export async function renewLease(
  db: Database,
  builderId: number,
  jobId: number,
  token: LeaseToken,
): Promise<{ cancel: boolean; expiresAt: string }> {
  const result = await db.query<{ cancel_requested: boolean; lease_expires_at: Date }>(
    `UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $5::double precision / 1000)
       WHERE ${FENCE} AND state IN ('leased', 'running') RETURNING cancel_requested, lease_expires_at`,
    [jobId, token.attempt, token.leaseId, builderId, LEASE_TTL_MS],
  );
  const row = result.rows[0];
  if (!row) throw StaleLeaseError.of(jobId, token);
  return { cancel: row.cancel_requested, expiresAt: row.lease_expires_at.toISOString() };
}

/** Records a step's start or end; a started user step means the job can no longer be silently requeued. */
export async function recordStep(db: Database, builderId: number, jobId: number, report: StepReport): Promise<void> {
  await withTransaction(db, async (client) => {
    const fenced = await client.query(
      `UPDATE jobs SET user_step_started = user_step_started OR $5 WHERE ${FENCE} AND state = 'running'`,
      [jobId, report.attempt, report.leaseId, builderId, report.user],
    );
    if (fenced.rowCount === 0) throw StaleLeaseError.of(jobId, report);
    await client.query(
      `INSERT INTO job_steps (job_id, attempt, index, name, user_step, status, exit_code, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now(), CASE WHEN $6 = 'finished' THEN now() END)
         ON CONFLICT (job_id, attempt, index) DO UPDATE SET status = EXCLUDED.status, exit_code = EXCLUDED.exit_code,
           finished_at = COALESCE(job_steps.finished_at, EXCLUDED.finished_at)`,
      [jobId, report.attempt, report.index, report.name, report.user, report.status, report.exitCode ?? null],
    );
  });
}

/**
 * running → success | failed | canceled, or a lost attempt requeued (`infrastructure_failed`).
 * Repeating the same completion is harmless; anything else stale is a 409.
 */
export async function completeAttempt(
  db: Database,
  settle: SettleWorkflow,
  builderId: number,
  jobId: number,
  request: CompleteRequest,
): Promise<void> {
  await withTransaction(db, async (client) => {
    const current = await client.query<{ state: string; workflow_id: string } & Parameters<typeof toLeasedJob>[0]>(
      `SELECT state, ${LEASED_JOB_COLUMNS} FROM jobs WHERE ${FENCE} FOR UPDATE`,
      [jobId, request.attempt, request.leaseId, builderId],
    );
    const row = current.rows[0];
    if (row && row.state === request.outcome) return;
    if (!row || !['leased', 'running'].includes(row.state)) throw StaleLeaseError.of(jobId, request);
    if (request.outcome === 'infrastructure_failed') {
      await requeueLostAttempt(
        client,
        { ...toLeasedJob(row), userStepStarted: true },
        request.message ?? 'the builder reported an infrastructure failure',
        true,
        settle,
      );
      return;
    }
    await endAttempt(client, settle, { jobId, attempt: request.attempt, workflowId: Number(row.workflow_id) }, [
      request.outcome,
      request.message ?? null,
    ]);
  });
}

/**
 * leased → unauthorized: the services box refuses a lease it just made, because the job names a
 * context it may no longer use (the check at planning passed, then a restriction changed).
 */
export async function refuseLease(
  db: Database,
  settle: SettleWorkflow,
  builderId: number,
  jobId: number,
  token: LeaseToken,
  message: string,
): Promise<void> {
  await withTransaction(db, async (client) => {
    const current = await client.query<{ workflow_id: string }>(
      `SELECT workflow_id FROM jobs WHERE ${FENCE} AND state = 'leased' FOR UPDATE`,
      [jobId, token.attempt, token.leaseId, builderId],
    );
    const row = current.rows[0];
    if (!row) throw StaleLeaseError.of(jobId, token);
    await endAttempt(client, settle, { jobId, attempt: token.attempt, workflowId: Number(row.workflow_id) }, [
      'unauthorized',
      message,
    ]);
  });
}

/** Ends a job's current attempt in a final state, then moves its workflow on. */
async function endAttempt(
  client: PoolClient,
  settle: SettleWorkflow,
  job: { jobId: number; attempt: number; workflowId: number },
  [state, message]: [string, string | null],
): Promise<void> {
  await client.query(
    'UPDATE jobs SET state = $2, finished_at = now(), message = $3, lease_expires_at = NULL WHERE id = $1',
    [job.jobId, state, message],
  );
  await client.query(
    'UPDATE job_attempts SET outcome = $3, message = $4, finished_at = now() WHERE job_id = $1 AND attempt = $2',
    [job.jobId, job.attempt, state, message],
  );
  await advanceWorkflow(client, job.workflowId, settle);
}
