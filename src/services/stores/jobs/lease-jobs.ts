/**
 * Leasing: one transaction locks the builder row (so a drain recorded before it is seen, and a
 * drain recorded after it waits), sums the CPU and memory of the jobs it runs, chooses queued jobs
 * that fit what is left (see takeInQueueOrder), and claims them with `FOR UPDATE SKIP LOCKED`, so
 * racing builders never claim the same job.
 */
import type { JobContext, JobLease, JobSpec } from '../../../protocol/index.js';
import { actorOfPipeline, type PipelineActor } from '../../core/access/context-access.js';
import { withholdsSecrets } from '../../core/access/fork-secrets.js';

/**
 * A lease as the database gives it; the protocol route checks its contexts again and adds the
 * variables (unless `withholdSecrets`: a fork's pull request in a project that does not pass
 * them) and the job's URL.
 */
export type ClaimedLease = Omit<JobLease, 'variables' | 'context' | 'ssh'> & {
  readonly context: Omit<JobContext, 'buildUrl'>;
  readonly withholdSecrets: boolean;
  /** The contexts the job names. */
  readonly contexts: readonly string[];
  /** Who started the pipeline: whether they may use the contexts. */
  readonly actor: PipelineActor;
  /** Set for a rerun with SSH: the account that asked for it, null once that account was removed. */
  readonly sshRerun?: { readonly requestedBy: number | null };
};
import { DOCKER_LEVELS, jobRoomOf, LEASE_TTL_MS, roomLeft, type DockerInBuilds } from '../../../protocol/index.js';
import { takeInQueueOrder } from '../../core/scheduler/pack-jobs.js';
import { dockerGrantedSql } from './docker-grant.js';
import type pg from 'pg';
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
  ssh: boolean;
  ssh_requested_by: string | null;
}

/** How often one lease looks again after racing builders took jobs it chose. */
const CLAIM_PASSES = 3;

/**
 * Leases up to `max` jobs to an active builder, as many as fit its free CPU and memory; none to a
 * builder in any other state. Its jobs are those leased to it and those `agentRunning` names
 * (the agent's own list) that are not finished: an agent cut off past its leases' expiry still
 * runs those jobs until it hears they were taken away, although they were requeued meanwhile.
 */
export async function leaseJobs(
  db: Database,
  builderId: number,
  max: number,
  agentRunning: readonly number[] = [],
): Promise<ClaimedLease[]> {
  return withTransaction(db, (client) => leaseJobsIn(client, builderId, max, agentRunning));
}

/** {@link leaseJobs} in a transaction the caller holds (lease-batches.ts runs several in one). */
export async function leaseJobsIn(
  client: pg.PoolClient,
  builderId: number,
  max: number,
  agentRunning: readonly number[] = [],
): Promise<ClaimedLease[]> {
  // NO KEY UPDATE, not SHARE: two leases of one builder (a retried request beside the first)
  // would each count the same free room and fill it twice.
  const builder = await client.query<{
    state: string;
    slots: number;
    slot_cpus: string;
    slot_memory_bytes: string;
    docker_in_builds: DockerInBuilds;
    offers_ssh: boolean;
  }>(
    'SELECT state, slots, slot_cpus, slot_memory_bytes, docker_in_builds, ssh_port IS NOT NULL AS offers_ssh FROM builders WHERE id = $1 FOR NO KEY UPDATE',
    [builderId],
  );
  const row = builder.rows[0];
  if (!row || row.state !== 'active') return [];
  const room = jobRoomOf({
    slots: row.slots,
    slotCpus: Number(row.slot_cpus),
    slotMemoryBytes: Number(row.slot_memory_bytes),
  });
  const used = await client.query<{ cpus: string; memory_bytes: string }>(
    `SELECT coalesce(sum(cpus), 0) AS cpus, coalesce(sum(memory_bytes), 0) AS memory_bytes FROM jobs
     WHERE (builder_id = $1 AND state IN ('leased', 'running'))
       OR (id = ANY($2::bigint[]) AND state IN ('queued', 'leased', 'running'))`,
    [builderId, agentRunning],
  );
  let free = roomLeft(room, {
    cpus: Number(used.rows[0]!.cpus),
    memoryBytes: Number(used.rows[0]!.memory_bytes),
  });
  const claimed: ClaimedRow[] = [];
  for (let pass = 0; pass < CLAIM_PASSES && claimed.length < max; pass++) {
    const queued = await client.query<{ id: string; cpus: string; memory_bytes: string }>(QUEUED_SQL, [
      room.cpus,
      room.memoryBytes,
      max - claimed.length,
      agentRunning,
      DOCKER_LEVELS[row.docker_in_builds],
      row.offers_ssh,
    ]);
    const chosen = takeInQueueOrder(
      queued.rows.map((r) => ({ id: r.id, cpus: Number(r.cpus), memoryBytes: Number(r.memory_bytes) })),
      free,
      max - claimed.length,
    );
    if (chosen.length === 0) break;
    const rows = (await client.query<ClaimedRow>(CLAIM_SQL, [builderId, chosen.map((j) => j.id), LEASE_TTL_MS])).rows;
    claimed.push(...rows);
    const taken = chosen.filter((j) => rows.some((r) => r.id === j.id));
    free = roomLeft(free, {
      cpus: taken.reduce((n, j) => n + j.cpus, 0),
      memoryBytes: taken.reduce((n, j) => n + j.memoryBytes, 0),
    });
    // Every chosen job was still queued: the queue order held, nothing to look at again.
    if (rows.length === chosen.length) break;
  }
  if (claimed.length > 0) {
    await client.query(
      // clock_timestamp(), not the transaction's start: taken while the builder row is locked,
      // it orders this lease against drains recorded in the audit log.
      `INSERT INTO job_attempts (job_id, attempt, builder_id, leased_at, ssh, ssh_requested_by)
       SELECT unnest($1::bigint[]), unnest($2::int[]), $3, clock_timestamp(), unnest($4::boolean[]), unnest($5::bigint[])
       ON CONFLICT (job_id, attempt) DO UPDATE SET builder_id = EXCLUDED.builder_id, leased_at = EXCLUDED.leased_at,
         ssh = EXCLUDED.ssh, ssh_requested_by = EXCLUDED.ssh_requested_by`,
      [
        claimed.map((r) => r.id),
        claimed.map((r) => r.attempt),
        builderId,
        claimed.map((r) => r.ssh),
        claimed.map((r) => r.ssh_requested_by),
      ],
    );
  }
  return claimed.map(toLease);
}

/**
 * The queue as this builder sees it: jobs that fit its whole room, in queue order, but for those
 * it still runs (requeued when their leases expired while it was cut off); with no more Docker
 * than it offers, nor any Docker unless it may have it (docker-grant.ts); reruns with SSH only
 * where the builder offers SSH. Read
 * without locks, so a racing builder's claim is only skipped by CLAIM_SQL, never waited for.
 * Locking here (`SKIP LOCKED`) would let a builder skip a job another builder read but cannot fit,
 * and take the smaller ones behind it, which takeInQueueOrder exists to prevent.
 */
const QUEUED_SQL = `
SELECT id, cpus, memory_bytes FROM jobs
WHERE state = 'queued' AND ($1::numeric IS NULL OR cpus <= $1) AND memory_bytes <= $2 AND id <> ALL($4::bigint[])
  AND docker_level <= $5 AND ${dockerGrantedSql('jobs')} AND (NOT ssh OR $6::boolean)
ORDER BY queue_priority, queued_at, id
LIMIT $3`;

const CLAIM_SQL = `
WITH candidate AS (
  -- The grant again: a withdrawal committed since QUEUED_SQL read the queue holds.
  SELECT j.id FROM jobs j WHERE j.id = ANY($2::bigint[]) AND j.state = 'queued' AND ${dockerGrantedSql('j')}
  FOR UPDATE OF j SKIP LOCKED
), leased AS (
  UPDATE jobs j SET state = 'leased', attempt = j.attempt + 1, lease_id = gen_random_uuid(), builder_id = $1,
    lease_expires_at = now() + make_interval(secs => $3::double precision / 1000), user_step_started = false
  FROM candidate WHERE j.id = candidate.id
  RETURNING j.id, j.attempt, j.lease_id, j.lease_expires_at, j.spec, j.name, j.workflow_id, j.contexts,
    j.node_index, j.node_total, j.ssh, j.ssh_requested_by
)
SELECT l.id, l.attempt, l.lease_id, l.lease_expires_at, l.spec, l.name AS job_name, w.name AS workflow_name,
  p.sha, p.branch, p.tag, p.number AS pipeline_number, pr.id AS project_id, pr.name AS project_name, pr.git_url,
  p.ref, p.trigger_detail->'pullRequest' AS pull_request, p.trigger_detail->>'sender' AS sender, pr.pass_secrets_to_forks,
  l.contexts, p.trigger_detail, p.id AS pipeline_id, l.workflow_id, l.node_index, l.node_total, l.ssh, l.ssh_requested_by,
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
    ...(row.ssh && { sshRerun: { requestedBy: row.ssh_requested_by === null ? null : Number(row.ssh_requested_by) } }),
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
