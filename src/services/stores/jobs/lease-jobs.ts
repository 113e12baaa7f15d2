/**
 * Leasing: one transaction locks the builder row (so a drain recorded before it is seen, and a
 * drain recorded after it waits), counts the builder's free slots, and claims queued jobs that
 * fit its slot with `FOR UPDATE SKIP LOCKED`, so racing builders never claim the same job.
 */
import type { JobContext, JobLease, JobSpec } from '../../../protocol/index.js';
import { actorOfPipeline, type PipelineActor } from '../../core/access/context-access.js';
import { withholdsSecrets } from '../../core/access/fork-secrets.js';

/**
 * A lease as the database gives it; the protocol route checks its contexts again and adds the
 * variables (unless `withholdSecrets`: a fork's pull request in a project that does not pass
 * them) and the job's URL.
 */
export type ClaimedLease = Omit<JobLease, 'variables' | 'context'> & {
  readonly context: Omit<JobContext, 'buildUrl'>;
  readonly withholdSecrets: boolean;
  /** The contexts the job names. */
  readonly contexts: readonly string[];
  /** Who started the pipeline: whether they may use the contexts. */
  readonly actor: PipelineActor;
};
import { LEASE_TTL_MS } from '../../../protocol/index.js';
import type { Database } from '../../database/create-pool.js';
import { withTransaction } from '../../database/with-transaction.js';
import { hideUrlUserInfo } from '../../../shared/git-credential.js';

interface ClaimedRow {
  id: string;
  attempt: number;
  lease_id: string;
  lease_expires_at: Date;
  /** jsonb written from the planned pipeline config's Job. */
  spec: JobSpec;
  project_id: string;
  project_name: string;
  git_url: string;
  sha: string;
  branch: string | null;
  tag: string | null;
  pipeline_number: number;
  workflow_name: string;
  job_name: string;
  ref: string;
  /** The trigger detail's pull request, as receive-delivery stored it. */
  pull_request: { number: number; htmlUrl: string; fromFork: boolean; headRepository?: { fullName: string } } | null;
  sender: string | null;
  pass_secrets_to_forks: boolean;
  contexts: string[];
  trigger_detail: Record<string, unknown>;
  pipeline_id: string;
  workflow_id: string;
  previous_job_id: string | null;
  node_index: number;
  node_total: number;
}

/** Leases up to `max` jobs to an active builder; none to a builder in any other state. */
export async function leaseJobs(db: Database, builderId: number, max: number): Promise<ClaimedLease[]> {
  return withTransaction(db, async (client) => {
    const builder = await client.query<{ state: string; slots: number; slot_cpus: string; slot_memory_bytes: string }>(
      'SELECT state, slots, slot_cpus, slot_memory_bytes FROM builders WHERE id = $1 FOR SHARE',
      [builderId],
    );
    const row = builder.rows[0];
    if (!row || row.state !== 'active') return [];
    const used = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE builder_id = $1 AND state IN ('leased', 'running')",
      [builderId],
    );
    const room = Math.min(max, row.slots - (used.rows[0]?.n ?? 0));
    if (room <= 0) return [];
    const claimed = await client.query<ClaimedRow>(CLAIM_SQL, [
      builderId,
      room,
      Number(row.slot_cpus),
      Number(row.slot_memory_bytes),
      LEASE_TTL_MS,
    ]);
    if (claimed.rows.length > 0) {
      await client.query(
        // clock_timestamp(), not the transaction's start: taken while the builder row is locked,
        // it orders this lease against drains recorded in the audit log.
        `INSERT INTO job_attempts (job_id, attempt, builder_id, leased_at) SELECT unnest($1::bigint[]), unnest($2::int[]), $3, clock_timestamp()
         ON CONFLICT (job_id, attempt) DO UPDATE SET builder_id = EXCLUDED.builder_id, leased_at = EXCLUDED.leased_at`,
        [claimed.rows.map((r) => r.id), claimed.rows.map((r) => r.attempt), builderId],
      );
    }
    return claimed.rows.map(toLease);
  });
}

const CLAIM_SQL = `
WITH candidate AS (
  SELECT j.id FROM jobs j
  WHERE j.state = 'queued' AND ($3::numeric = 0 OR j.cpus <= $3) AND j.memory_bytes <= $4
  ORDER BY j.queue_priority, j.queued_at, j.id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE jobs j SET state = 'leased', attempt = j.attempt + 1, lease_id = gen_random_uuid(), builder_id = $1,
    lease_expires_at = now() + make_interval(secs => $5::double precision / 1000), user_step_started = false
  FROM candidate WHERE j.id = candidate.id
  RETURNING j.id, j.attempt, j.lease_id, j.lease_expires_at, j.spec, j.name, j.workflow_id, j.contexts,
    j.node_index, j.node_total
)
SELECT l.id, l.attempt, l.lease_id, l.lease_expires_at, l.spec, l.name AS job_name, w.name AS workflow_name,
  p.sha, p.branch, p.tag, p.number AS pipeline_number, pr.id AS project_id, pr.name AS project_name, pr.git_url,
  p.ref, p.trigger_detail->'pullRequest' AS pull_request, p.trigger_detail->>'sender' AS sender, pr.pass_secrets_to_forks,
  l.contexts, p.trigger_detail, p.id AS pipeline_id, l.workflow_id, l.node_index, l.node_total,
  -- Walks the jobs index down from this job: the latest earlier job is usually close by.
  (SELECT j2.id FROM jobs j2 JOIN workflows w2 ON w2.id = j2.workflow_id JOIN pipelines p2 ON p2.id = w2.pipeline_id
    WHERE j2.id < l.id AND j2.type = 'build' AND p2.project_id = pr.id AND p2.branch IS NOT DISTINCT FROM p.branch
    ORDER BY j2.id DESC LIMIT 1) AS previous_job_id
FROM leased l JOIN workflows w ON w.id = l.workflow_id JOIN pipelines p ON p.id = w.pipeline_id JOIN projects pr ON pr.id = p.project_id
ORDER BY l.id`;

function toLease(row: ClaimedRow): ClaimedLease {
  const pr = row.pull_request;
  return {
    withholdSecrets: withholdsSecrets({ ref: row.ref, pullRequest: pr }, row.pass_secrets_to_forks),
    contexts: row.contexts,
    actor: actorOfPipeline(row.trigger_detail),
    jobId: Number(row.id),
    attempt: row.attempt,
    leaseId: row.lease_id,
    expiresAt: row.lease_expires_at.toISOString(),
    spec: row.spec,
    context: {
      projectId: Number(row.project_id),
      projectName: row.project_name,
      gitUrl: hideUrlUserInfo(row.git_url),
      sha: row.sha,
      branch: row.branch,
      tag: row.tag,
      pipelineNumber: row.pipeline_number,
      workflowName: row.workflow_name,
      jobName: row.job_name,
      pipelineId: Number(row.pipeline_id),
      workflowId: Number(row.workflow_id),
      ...(row.previous_job_id !== null && { previousJobId: Number(row.previous_job_id) }),
      ...(row.node_total > 1 && { nodeIndex: row.node_index, nodeTotal: row.node_total }),
      ...startedBy(row.trigger_detail),
      ...(pr !== null && {
        pullRequest: {
          number: pr.number,
          url: pr.htmlUrl,
          fromFork: pr.fromFork,
          username: row.sender ?? '',
          ...(pr.headRepository && { headRepository: pr.headRepository.fullName }),
        },
      }),
    },
  };
}

/** CIRCLE_COMPARE_URL and CIRCLE_USERNAME from what the trigger recorded. */
function startedBy(detail: Record<string, unknown>): { compareUrl?: string; username?: string } {
  const { compareUrl, sender, requestedBy } = detail;
  const username = typeof sender === 'string' ? sender : requestedBy;
  return {
    ...(typeof compareUrl === 'string' && { compareUrl }),
    ...(typeof username === 'string' && { username }),
  };
}
