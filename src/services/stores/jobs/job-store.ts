/**
 * The jobs store: the one writer of `jobs`, `job_attempts` and `job_steps`. Every change of a
 * job's state has a name here, and nothing else in Gyre writes these tables (a unit test checks).
 *
 *     blocked ──(its requirements ended as asked)──▶ queued ──lease──▶ leased(attempt n) ──ack──▶ running
 *        │  (an approval job: ──▶ on_hold ──approve──▶ success, or cancel ──▶ canceled)
 *        │                                                 ▲                 │                       │
 *        └──(a requirement did not)──▶ not_run             └────requeue──────┴───────────────────────┤
 *                                                                                                    ▼
 *                                      success | failed | canceled | infrastructure_failed ◀──complete
 *
 * - {@link create}: a planned workflow's jobs, `queued` without requirements, `blocked` with.
 * - Approval jobs (`type: approval`) are never queued: released, they wait `on_hold` until
 *   {@link approve} (→ `success`) or {@link cancel} (→ `canceled`), each audited with who decided.
 * - {@link lease}: `queued` → `leased`, the next attempt, to a builder with room (SKIP LOCKED).
 * - {@link ack}, {@link heartbeat}, {@link reportStep}, {@link complete}: the builder's fenced
 *   writes; a stale `(attempt, leaseId)` is a {@link StaleLeaseError}.
 * - {@link requeue}: an attempt lost to the infrastructure goes back to the head of the queue, or
 *   fails for good after the retries (see requeue.ts).
 * - {@link cancel}: `queued`/`blocked`/`on_hold` → `canceled` at once; leased or running jobs are told to stop.
 * - {@link rerun}: jobs of an ended workflow go back to `blocked`, keeping their attempts (rerun-jobs.ts).
 * - `not_run` and `blocked` → `queued` follow from the DAG (workflow-progress.ts) whenever a job ends:
 *   a requirement "ends as asked" when its job ends in one of the statuses `requires` lists for
 *   it (`success` unless the config says otherwise).
 */
import type pg from 'pg';
import type { CompleteRequest, LeaseToken, StepReport } from '../../../protocol/index.js';
import type { EndedJob } from '../../core/github/commit-status.js';
import type { JobSummary, NewJob } from '../../core/pipelines/pipeline-model.js';
import type { CacheScope } from '../caches/cache-store.js';
import type { Database } from '../../database/create-pool.js';
import { approveJob } from './approve-job.js';
import { cancelJobs, type CancelResult, type CancelScope } from './cancel-jobs.js';
import {
  ackLease,
  checkLease,
  completeAttempt,
  leasedJobProject,
  recordStep,
  refuseLease,
  renewLease,
} from './fenced-writes.js';
import { endedJobsOf, jobDetail, jobsOfPipeline, jobsOfWorkflow } from './job-reads.js';
import type { JobDetail } from './job-rows.js';
import type { ClaimedLease } from './lease-jobs.js';
import { LeaseBatches } from './lease-batches.js';
import { requeueLostAttempts, type LostAttempts } from './requeue.js';
import { rerunJobs } from './rerun-jobs.js';
import type { ContextAuthorizer } from './context-authorizer.js';
import type { RerunSelection } from '../../core/pipelines/rerun-selection.js';
import { advanceWorkflow, type SettleWorkflow } from './workflow-progress.js';

export type { CancelResult, CancelScope } from './cancel-jobs.js';
export type { ClaimedLease } from './lease-jobs.js';
export type { LostAttempts } from './requeue.js';
export type { ContextAuthorizer } from './context-authorizer.js';
export type { SettleWorkflow } from './workflow-progress.js';

export class JobStore {
  private readonly leases: LeaseBatches;

  constructor(
    private readonly db: Database,
    /** Called in each transaction that ended or released jobs of a workflow. */
    private readonly settle: SettleWorkflow,
  ) {
    this.leases = new LeaseBatches(db);
  }

  /**
   * Stores a planned workflow's jobs, in the transaction that stores the workflow. Returns
   * whether one was refused (created `unauthorized`): then call {@link advance}.
   */
  async create(client: pg.PoolClient, workflowId: number, jobs: readonly NewJob[]): Promise<boolean> {
    for (const job of jobs) {
      const state = initialState(job);
      // A job with `parallelism` is one row per node, each leased on its own.
      for (let node = 0; node < job.nodes; node++)
        await client.query(
          `INSERT INTO jobs (workflow_id, name, type, requires, required_statuses, spec, state, queued_at, cpus, memory_bytes, contexts, message, finished_at, node_index, node_total)
           VALUES ($1, $2, $11, $3, $4, $5, $6, CASE WHEN $6 = 'queued' THEN now() END, $7, $8, $9, $10, CASE WHEN $6 = 'unauthorized' THEN now() END, $12, $13)`,
          [
            workflowId,
            job.name,
            job.requires.map((r) => r.job),
            JSON.stringify(Object.fromEntries(job.requires.map((r) => [r.job, r.statuses]))),
            JSON.stringify(job.spec),
            state,
            job.cpus,
            job.memoryBytes,
            job.contexts,
            job.refusal ?? null,
            job.type,
            node,
            job.nodes,
          ],
        );
    }
    return jobs.some((job) => job.refusal !== undefined);
  }

  lease(builderId: number, max: number, agentRunning?: readonly number[]): Promise<ClaimedLease[]> {
    // In turn, several to a transaction (lease-batches.ts): racing leases left all but one
    // builder empty-handed (the scheduler bench: 50 builders leased about 25 jobs a round).
    return this.leases.lease(builderId, max, agentRunning);
  }

  ack(builderId: number, jobId: number, token: LeaseToken): Promise<void> {
    return ackLease(this.db, builderId, jobId, token);
  }

  /** Renews the lease; tells whether the job was canceled. */
  heartbeat(builderId: number, jobId: number, token: LeaseToken): Promise<{ cancel: boolean; expiresAt: string }> {
    return renewLease(this.db, builderId, jobId, token);
  }

  reportStep(builderId: number, jobId: number, report: StepReport): Promise<void> {
    return recordStep(this.db, builderId, jobId, report);
  }

  /** Throws StaleLeaseError unless the token is the job's current lease, held by this builder. */
  checkLease(builderId: number, jobId: number, token: LeaseToken): Promise<void> {
    return checkLease(this.db, builderId, jobId, token);
  }

  /** Checks the lease like {@link checkLease}; answers the job's project and cache partition. */
  leasedJobProject(builderId: number, jobId: number, token: LeaseToken): Promise<CacheScope> {
    return leasedJobProject(this.db, builderId, jobId, token);
  }

  complete(builderId: number, jobId: number, request: CompleteRequest): Promise<void> {
    return completeAttempt(this.db, this.settle, builderId, jobId, request);
  }

  /** Ends a job just leased as `unauthorized` instead of handing it out. */
  refuseLease(builderId: number, jobId: number, token: LeaseToken, message: string): Promise<void> {
    return refuseLease(this.db, this.settle, builderId, jobId, token, message);
  }

  /** Moves a workflow on after jobs were created ended (`unauthorized`), once its pending statuses are queued. */
  advance(client: pg.PoolClient, workflowId: number): Promise<void> {
    return advanceWorkflow(client, workflowId, this.settle);
  }

  /**
   * Ends the current attempts of `lost` jobs. `countsAsFailure: false` (a drain deadline, a
   * revoked builder) requeues without using one of the job's retries. Returns how many.
   */
  requeue(lost: LostAttempts, reason: string, countsAsFailure: boolean): Promise<number> {
    return requeueLostAttempts(this.db, lost, reason, countsAsFailure, this.settle);
  }

  /** `actor` (as the audit log names people) decides the approval jobs it cancels. */
  cancel(scope: CancelScope, actor: string): Promise<CancelResult> {
    return cancelJobs(this.db, scope, this.settle, actor);
  }

  /**
   * Sends the selected jobs of an ended workflow back to `blocked` (rerun-jobs.ts) and releases
   * those that may run, in the caller's transaction, which holds the workflow's row and reopens it.
   */
  async rerun(
    client: pg.PoolClient,
    workflow: { readonly id: number; readonly pipelineId: number },
    selection: RerunSelection,
    actor: string,
    authorize: ContextAuthorizer,
  ): Promise<readonly string[]> {
    const chosen = await rerunJobs(client, workflow, selection, actor, authorize);
    await advanceWorkflow(client, workflow.id, this.settle);
    return chosen;
  }

  /**
   * Approves an approval job on hold; a ConflictError for any other job, 403 when the approval
   * names contexts the person may not use (in CircleCI, they limit who may approve).
   */
  approve(jobId: number, actor: string, authorize: ContextAuthorizer): Promise<void> {
    return approveJob(this.db, this.settle, jobId, actor, authorize);
  }

  ofPipeline(pipelineId: number): Promise<JobSummary[]> {
    return jobsOfPipeline(this.db, pipelineId);
  }

  ofWorkflow(workflowId: number): Promise<JobSummary[]> {
    return jobsOfWorkflow(this.db, workflowId);
  }

  /** The end state of each job of a workflow, read in the transaction that settles it. */
  endedOf(client: pg.PoolClient, workflowId: number): Promise<EndedJob[]> {
    return endedJobsOf(client, workflowId);
  }

  detail(jobId: number): Promise<JobDetail> {
    return jobDetail(this.db, jobId);
  }
}

/**
 * A job refused its contexts ends at once; a job without requirements is ready: queued for the
 * scheduler, or on hold for an approval job. The others wait for their requirements.
 */
function initialState(job: NewJob): string {
  if (job.refusal !== undefined) return 'unauthorized';
  if (job.requires.length > 0) return 'blocked';
  return job.type === 'approval' ? 'on_hold' : 'queued';
}
