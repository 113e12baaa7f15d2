import type { Migration } from './migration.js';

/**
 * Job logs as the agent sends them: sequence-numbered chunks per (job, attempt, step). The key is
 * the primary key, so a resent chunk is stored once. The byte length is stored (and included in
 * the key's index) so that sizes, byte offsets and gaps are computed without reading the data.
 */
export const logChunksMigration: Migration = {
  id: 4,
  name: 'log-chunks',
  sql: `
CREATE TABLE log_chunks (
  job_id      bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt     integer NOT NULL CHECK (attempt >= 0),
  step        integer NOT NULL CHECK (step >= 0),
  seq         integer NOT NULL CHECK (seq >= 0),
  data        bytea NOT NULL,
  byte_length integer GENERATED ALWAYS AS (octet_length(data)) STORED,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, attempt, step, seq) INCLUDE (byte_length)
);
`,
};
