import type { Migration } from './migration.js';

/**
 * Builders and the job queue they lease from: join secrets (hashed, rotatable), builder
 * credentials (hashed, revocable), fenced leases on jobs, attempts and steps, and the resources
 * each job needs so the scheduler can match it to a builder's slot.
 */
export const buildersAndLeasesMigration: Migration = {
  id: 3,
  name: 'builders-and-leases',
  sql: `
CREATE TABLE join_secrets (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  secret_hash bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- NULL while current; set to now() + grace when a newer secret replaces it.
  expires_at  timestamptz
);

CREATE TABLE builders (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              text NOT NULL UNIQUE,
  host              text NOT NULL,
  cpus              numeric NOT NULL,
  memory_bytes      bigint NOT NULL,
  docker_version    text NOT NULL,
  version           text NOT NULL,
  slots             integer NOT NULL,
  slot_cpus         numeric NOT NULL,
  slot_memory_bytes bigint NOT NULL,
  credential_hash   bytea NOT NULL,
  state             text NOT NULL DEFAULT 'active',
  drain_deadline    timestamptz,
  registered_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE jobs
  ADD COLUMN cpus numeric NOT NULL DEFAULT 2,
  ADD COLUMN memory_bytes bigint NOT NULL DEFAULT 4294967296,
  -- 0 for requeued jobs, which go to the head of the queue; 1 for new ones.
  ADD COLUMN queue_priority smallint NOT NULL DEFAULT 1,
  ADD COLUMN builder_id bigint REFERENCES builders(id),
  ADD COLUMN lease_id uuid,
  ADD COLUMN lease_expires_at timestamptz,
  ADD COLUMN user_step_started boolean NOT NULL DEFAULT false,
  ADD COLUMN infrastructure_retries integer NOT NULL DEFAULT 0,
  ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
  ADD COLUMN started_at timestamptz,
  ADD COLUMN finished_at timestamptz,
  ADD COLUMN message text;
DROP INDEX jobs_queued;
CREATE INDEX jobs_queue ON jobs (queue_priority, queued_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state IN ('leased', 'running');
CREATE INDEX jobs_by_builder ON jobs (builder_id) WHERE state IN ('leased', 'running');
-- Ending a job touches only its workflow's unfinished jobs; these keep that cheap in big workflows.
CREATE INDEX jobs_blocked_by_workflow ON jobs (workflow_id) WHERE state = 'blocked';
CREATE INDEX jobs_unfinished_by_workflow ON jobs (workflow_id) WHERE state IN ('blocked', 'queued', 'leased', 'running');

CREATE TABLE job_attempts (
  job_id      bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt     integer NOT NULL,
  builder_id  bigint REFERENCES builders(id),
  outcome     text,
  message     text,
  leased_at   timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (job_id, attempt)
);

CREATE TABLE job_steps (
  job_id      bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt     integer NOT NULL,
  index       integer NOT NULL,
  name        text NOT NULL,
  user_step   boolean NOT NULL,
  status      text NOT NULL,
  exit_code   integer,
  started_at  timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (job_id, attempt, index)
);
`,
};
