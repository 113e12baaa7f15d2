/**
 * The builder protocol: the contract between `gyre agent` (builders) and `gyre serve` (the
 * services box). Schemas, types and constants only, no I/O; both sides import it and neither side's
 * internals. All routes are JSON over HTTP(S) under {@link BUILDER_API_PREFIX}.
 *
 * ## Lifecycle, in order
 * 0. `POST /join-secret/check` (same header as `/register`) answers 204 or 401 and changes nothing;
 *    the orchestrator checks a secret with it before it starts a builder.
 * 1. `POST /register` with the join secret (header `Authorization: Join <secret>`) and the
 *    builder's facts. Answer: its id and a credential of its own, shown once, stored hashed.
 *    Re-registering with `identity` (id + credential kept in the builder's volume) keeps the same
 *    builder. Every later call sends `Authorization: Builder <id>.<credential>`.
 * 2. `POST /lease` long-polls (at most `MAX_LEASE_WAIT_S` s, in messages.ts) for up to `max` jobs that fit
 *    the builder's slot. Each lease is `(jobId, attempt, leaseId)` and lasts {@link LEASE_TTL_MS}.
 * 3. `POST /jobs/:id/ack` turns a lease into a running job. Until then the job is not running.
 * 4. `POST /jobs/:id/heartbeat` every {@link HEARTBEAT_INTERVAL_MS} renews the lease; its answer
 *    says whether to cancel the job and the builder's state (`draining` means take no new jobs).
 * 5. `POST /jobs/:id/steps` reports each step's start and end (exit code); `PUT /jobs/:id/logs`
 *    sends sequence-numbered log chunks; `POST /jobs/:id/complete` ends the attempt. A rerun
 *    with SSH (its lease has `ssh`) reports sessions and the wait after its steps to
 *    `POST /jobs/:id/ssh`, and completes only once that wait is over.
 * 6. `POST /heartbeat` keeps an idle builder `active` (a builder silent for
 *    {@link BUILDER_LOST_AFTER_MS} becomes `lost`). A draining builder with no jobs left becomes
 *    `drained` on its next heartbeat, and the agent exits.
 * 7. `POST /drain` is the builder draining itself (SIGTERM, `gyre agent drain`): the same state as
 *    a drain set through the API, with the builder's own deadline.
 *
 * ## Messages
 * Every request and reply is a schema in messages.ts; the types derive from them. The services box
 * refuses a request that does not match (400, every problem listed) and the agent refuses a reply
 * that does not match, naming the field (a services box of another version, or a proxy's page).
 *
 * ## Fencing: what each status code means (errors.ts holds the classes both sides use)
 * - Every job write carries `(attempt, leaseId)`. **409** (`StaleLeaseError`) means the
 *   lease is stale (expired and requeued, drained at the deadline, or revoked): the agent must kill
 *   that job's containers at once and never retry the write.
 * - **401**: the credential is unknown (e.g. the services box's database was replaced); the
 *   builder must stop and join again.
 * - **403** with `error.code` `builder_revoked` (`BuilderRevokedError`): an administrator revoked this builder,
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
export const BUILDER_API_PREFIX = '/builder/v1';
/** Port of the agent's local API (health and graceful shutdown) on the builder host, unless set. */
export const AGENT_API_PORT = 7623;
/**
 * The agent process's memory settings, as the builder stack runs it (`npm run bench`: job-start
 * footprint). Its garbage is short-lived (requests, log chunks), and V8's default young generation
 * of up to 3 × 16 MiB stays resident once touched: 1 MiB semi-spaces take about 12 MB off an idle
 * agent. Its few threads allocate little, so one malloc arena saves the others' unused pages.
 */
export const AGENT_PROCESS_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--max-semi-space-size=1',
  MALLOC_ARENA_MAX: '1',
};
export const LEASE_TTL_MS = 60_000;
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const BUILDER_LOST_AFTER_MS = 90_000;
export const MAX_INFRASTRUCTURE_RETRIES = 2;
export const MAX_RETRY_BACKOFF_MS = 10_000;
