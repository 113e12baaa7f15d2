/**
 * The builder protocol: the contract between `gyre agent` (builders) and `gyre serve` (the
 * services box). Types and constants only, no I/O; both sides import it and neither side's
 * internals. All routes are JSON over HTTP(S) under {@link BUILDER_API_PREFIX}.
 *
 * ## Lifecycle, in order
 * 0. `POST /join-secret/check` (same header as `/register`) answers 204 or 401 and changes nothing;
 *    the orchestrator checks a secret with it before it starts a builder.
 * 1. `POST /register` with the join secret (header `Authorization: Join <secret>`) and the
 *    builder's facts. Answer: its id and a credential of its own, shown once, stored hashed.
 *    Re-registering with `identity` (id + credential kept in the builder's volume) keeps the same
 *    builder. Every later call sends `Authorization: Builder <id>.<credential>`.
 * 2. `POST /lease` long-polls (at most {@link MAX_LEASE_WAIT_S} s) for up to `max` jobs that fit
 *    the builder's slot. Each lease is `(jobId, attempt, leaseId)` and lasts {@link LEASE_TTL_MS}.
 * 3. `POST /jobs/:id/ack` turns a lease into a running job. Until then the job is not running.
 * 4. `POST /jobs/:id/heartbeat` every {@link HEARTBEAT_INTERVAL_MS} renews the lease; its answer
 *    says whether to cancel the job and the builder's state (`draining` means take no new jobs).
 * 5. `POST /jobs/:id/steps` reports each step's start and end (exit code); `PUT /jobs/:id/logs`
 *    sends sequence-numbered log chunks; `POST /jobs/:id/complete` ends the attempt.
 * 6. `POST /heartbeat` keeps an idle builder `active` (a builder silent for
 *    {@link BUILDER_LOST_AFTER_MS} becomes `lost`). A draining builder with no jobs left becomes
 *    `drained` on its next heartbeat, and the agent exits.
 * 7. `POST /drain` is the builder draining itself (SIGTERM, `gyre agent drain`): the same state as
 *    a drain set through the API, with the builder's own deadline.
 *
 * ## Fencing: what each status code means
 * - Every job write carries `(attempt, leaseId)`. **409** means the lease is stale (expired and
 *   requeued, drained at the deadline, or revoked): the agent must kill that job's containers at
 *   once and never retry the write.
 * - **401**: the credential is unknown (e.g. the services box's database was replaced); the
 *   builder must stop and join again.
 * - **403** with `error.code` {@link BUILDER_REVOKED_CODE}: an administrator revoked this builder,
 *   on any call or on `/register` with its identity; the builder must stop for good (its stack
 *   exits 0, so no restart policy brings it back).
 * - **400**: the request is malformed (a bug in the agent); not retried.
 * - **5xx or no answer**: the services box is unavailable; the agent retries with backoff capped
 *   at {@link MAX_RETRY_BACKOFF_MS}, keeping unacknowledged log chunks in a buffer.
 *
 * ## Who retries what
 * - The agent retries every write that got no answer; writes are idempotent (log chunks by
 *   `(jobId, attempt, step, seq)`, steps by `(attempt, index, status)`, completion by attempt).
 * - The services box requeues a job whose lease expired: at the head of the queue as the next
 *   attempt when no user step had started; otherwise the attempt is `infrastructure_failed` and the
 *   job is retried at most {@link MAX_INFRASTRUCTURE_RETRIES} times. A user step's non-zero exit is
 *   never retried automatically.
 *
 * ## Concurrency
 * Many builders lease at once; a job is leased to at most one of them (claims use
 * `FOR UPDATE SKIP LOCKED`). Drain is checked at assignment time in the same transaction, so no
 * job is ever leased to a builder whose drain has been recorded.
 */
import type { JobOutcome } from './job-states.js';
import type { JobSpec } from './job-spec.js';

export const BUILDER_API_PREFIX = '/builder/v1';
export const LEASE_TTL_MS = 60_000;
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const MAX_LEASE_WAIT_S = 30;
export const BUILDER_LOST_AFTER_MS = 90_000;
export const MAX_INFRASTRUCTURE_RETRIES = 2;
export const MAX_RETRY_BACKOFF_MS = 10_000;
/** The `error.code` of the 403 a revoked builder gets; a 403 without it (a proxy's, say) is not a revocation. */
export const BUILDER_REVOKED_CODE = 'builder_revoked';

/** `active → draining(deadline) → drained`, plus `lost` (silent) and `revoked`. */
export type BuilderState = 'active' | 'draining' | 'drained' | 'lost' | 'revoked';

/** What a builder reports about itself when it registers. */
export interface BuilderFacts {
  readonly name: string;
  readonly host: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly dockerVersion: string;
  readonly version: string;
  readonly slots: number;
  /** CPUs per slot; 0 means no CPU limit. */
  readonly slotCpus: number;
  readonly slotMemoryBytes: number;
}

export interface RegisterRequest {
  readonly facts: BuilderFacts;
  /** The identity a previous registration returned, to keep the same builder after a restart. */
  readonly identity?: { readonly builderId: number; readonly credential: string };
}

export interface RegisterResponse {
  readonly builderId: number;
  /** Present only when a new credential was issued; keep it, it is not shown again. */
  readonly credential?: string;
  readonly state: BuilderState;
}

/** The builder's standing, returned by every lease and heartbeat. */
export interface BuilderStatus {
  readonly state: BuilderState;
  /** ISO time at which remaining jobs are stopped and requeued; set while draining. */
  readonly drainDeadline: string | null;
}

/** A builder asking to be drained (`POST /drain`). */
export interface DrainRequest {
  /** Seconds until remaining jobs are stopped and requeued. */
  readonly deadlineSeconds: number;
}

export interface LeaseRequest {
  /** How many jobs the builder can take now (its free slots). */
  readonly max: number;
  /** Seconds to wait for work; at most {@link MAX_LEASE_WAIT_S}. */
  readonly waitSeconds: number;
}

/** The fencing token every job write carries. */
export interface LeaseToken {
  readonly attempt: number;
  readonly leaseId: string;
}

export interface JobLease extends LeaseToken {
  readonly jobId: number;
  readonly expiresAt: string;
  /** The job as the pipeline config resolved it (images, steps, environment, resources). */
  readonly spec: JobSpec;
  readonly context: JobContext;
  /** The project's variables, decrypted for this job only; never logged. */
  readonly variables: Readonly<Record<string, string>>;
}

/** Facts about the job's pipeline that the agent turns into CIRCLE_* and GYRE_* variables. */
export interface JobContext {
  readonly projectId: number;
  readonly projectName: string;
  readonly gitUrl: string;
  readonly sha: string;
  readonly branch: string | null;
  readonly tag: string | null;
  readonly pipelineNumber: number;
  readonly workflowName: string;
  readonly jobName: string;
  /** The job's page in the web UI (CIRCLE_BUILD_URL). */
  readonly buildUrl: string;
}

export interface LeaseResponse {
  readonly leases: readonly JobLease[];
  readonly builder: BuilderStatus;
}

export interface JobHeartbeatResponse {
  /** True when the job was canceled: stop it (SIGTERM, then SIGKILL) and complete it as `canceled`. */
  readonly cancel: boolean;
  readonly expiresAt: string;
  readonly builder: BuilderStatus;
}

export interface StepReport extends LeaseToken {
  readonly index: number;
  readonly name: string;
  /** Steps Gyre runs for the job (checkout counts as a user step; helper set-up does not). */
  readonly user: boolean;
  readonly status: 'started' | 'finished';
  /** With `finished`: the step's exit code. */
  readonly exitCode?: number;
}

/** One sequence-numbered piece of a step's output. Resending the same chunk is harmless. */
export interface LogChunkRequest extends LeaseToken {
  readonly step: number;
  /** 0, 1, 2, ... per (job, attempt, step), with no gaps. */
  readonly seq: number;
  /** The bytes, base64-encoded; at most 1 MiB before encoding. */
  readonly data: string;
}

export interface CompleteRequest extends LeaseToken {
  readonly outcome: JobOutcome;
  /**
   * The agent's statement that every log chunk of the attempt got a 2xx. A job is complete only
   * after it; an agent with unacknowledged chunks keeps resending them first.
   */
  readonly logsAcknowledged: true;
  /** A human-readable reason for anything but success, e.g. "step 3 exited with 3". */
  readonly message?: string;
}

/** Every error answer, as in the rest of Gyre's API. */
export interface ProtocolError {
  readonly error: { readonly code: string; readonly message: string };
}
