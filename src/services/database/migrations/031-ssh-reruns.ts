import type { Migration } from './migration.js';

/**
 * Reruns with SSH: the job asked to rerun with SSH names the account that asked (kept for its
 * retries, and copied onto each attempt, which is what the lease and the job page read); each
 * attempt keeps how long the job waits for sessions after its steps; each builder keeps where
 * users reach its SSH gateway and its host key's fingerprint.
 */
export const sshRerunsMigration: Migration = {
  id: 31,
  name: 'ssh-reruns',
  sql: `
-- ssh stays true when the account that asked is removed: administrators may still connect,
-- and the sessions are still audited; the removed account's keys are gone with it.
ALTER TABLE jobs
  ADD COLUMN ssh boolean NOT NULL DEFAULT false,
  ADD COLUMN ssh_requested_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE job_attempts
  ADD COLUMN ssh boolean NOT NULL DEFAULT false,
  ADD COLUMN ssh_requested_by bigint REFERENCES users (id) ON DELETE SET NULL,
  -- Set once the steps have ended: the job then waits for sessions until ssh_idle_until while
  -- nobody is connected, and until ssh_until at most.
  ADD COLUMN ssh_idle_until timestamptz,
  ADD COLUMN ssh_until timestamptz,
  ADD COLUMN ssh_connected integer;
ALTER TABLE builders
  ADD COLUMN ssh_host text,
  ADD COLUMN ssh_port integer,
  ADD COLUMN ssh_host_key_fingerprint text;
`,
};
