/**
 * A rerun inside an ended workflow (core/pipelines/rerun-selection.ts picks the jobs): the jobs
 * go back to `blocked`, keeping their earlier attempts, and the DAG (workflow-progress.ts) queues
 * those whose requirements ended as asked; a rerun job's next lease is its next attempt. Runs in
 * the transaction of the pipelines store, which reopens the workflow.
 */
import type pg from 'pg';
import { ConflictError, ForbiddenError } from '../../../shared/errors.js';
import { forkDockerRefusal } from '../../core/access/fork-docker.js';
import { SECRETS_WITHHELD_SQL } from './docker-grant.js';
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
  const rows = await client.query<{
    id: string;
    name: string;
    type: string;
    state: string;
    requires: string[];
    contexts: string[];
  }>('SELECT id, name, type, state, requires, contexts FROM jobs WHERE workflow_id = $1 ORDER BY id', [workflow.id]);
  const jobs = rows.rows.map((r) => ({ ...r, id: Number(r.id) }));
  const plan = planRerun(jobs, selection);
  if (!plan.ok) throw new ConflictError(plan.message, plan.code);
  if (
    selection.kind === 'job' &&
    selection.sshFor !== undefined &&
    jobs.some((j) => j.id === selection.jobId && j.type === 'approval')
  )
    throw new ConflictError('an approval job runs nothing to connect to: rerun it without SSH', 'ssh_not_for_approval');
  // The rerun is the rerunner's: they may not run, again, jobs with secrets they may not use.
  const contexts = [...new Set(plan.reset.flatMap((j) => j.contexts))];
  await requireContexts(authorize, contexts, workflow.pipelineId, 'rerun these jobs');
  await refuseForkDocker(
    client,
    plan.reset.map((j) => j.id),
  );
  // With SSH, only the chosen job's nodes wait for sessions; the jobs after it run as usual.
  const sshFor = selection.kind === 'job' ? (selection.sshFor ?? null) : null;
  await client.query(
    `UPDATE jobs SET state = 'blocked', message = $2, started_at = NULL, finished_at = NULL, queued_at = NULL, builder_id = NULL,
       lease_id = NULL, lease_expires_at = NULL, cancel_requested = false, user_step_started = false,
       infrastructure_retries = 0, ssh = $3::bigint IS NOT NULL AND name = ANY($4::text[]),
       ssh_requested_by = CASE WHEN name = ANY($4::text[]) THEN $3::bigint END
     WHERE id = ANY($1::bigint[])`,
    [plan.reset.map((j) => j.id), `Rerun by ${actor}${sshFor === null ? '' : ' with SSH'}`, sshFor, plan.chosen],
  );
  await writeAudit(client, {
    actor,
    action:
      selection.kind === 'failed' ? 'workflow.rerun_failed' : sshFor === null ? 'job.rerun' : 'job.rerun_with_ssh',
    target: selection.kind === 'failed' ? `workflow:${workflow.id}` : `job:${selection.jobId}`,
    detail: { jobs: [...new Set(plan.reset.map((j) => j.name))] },
  });
  return plan.chosen;
}

/**
 * A Docker job of an untrusted fork's build was refused at planning; rerun, it would only wait
 * (the lease never gives it one), so the rerun is refused now, as one of contexts is. Checked as
 * things are now: a project that since passes forks its secrets may rerun it.
 */
async function refuseForkDocker(client: pg.PoolClient, jobIds: readonly number[]): Promise<void> {
  const refused = await client.query<{ spec: unknown }>(
    `SELECT j.spec FROM jobs j JOIN workflows w ON w.id = j.workflow_id JOIN pipelines pl ON pl.id = w.pipeline_id
       JOIN projects p ON p.id = pl.project_id
     WHERE j.id = ANY($1::bigint[]) AND j.docker_level > 0 AND ${SECRETS_WITHHELD_SQL} LIMIT 1`,
    [jobIds],
  );
  const row = refused.rows[0];
  const why = row && forkDockerRefusal(row.spec, true);
  if (why !== undefined) throw new ForbiddenError(`you may not rerun these jobs: ${why}`, 'docker_refused');
}
