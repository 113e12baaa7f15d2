import type { Migration } from './migration.js';

/**
 * The outbox of GitHub commit statuses. A row is written in the same transaction as the pipeline
 * or workflow change it reports, and a background poster sends the rows to GitHub in order per
 * pipeline, retrying with backoff. `state` is the GitHub status state, not the row's progress:
 * a row is waiting (posted_at and abandoned_at NULL), posted, or abandoned with its last error.
 */
export const commitStatusesMigration: Migration = {
  id: 6,
  name: 'commit-statuses',
  sql: `
CREATE TABLE commit_statuses (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pipeline_id     bigint NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  state           text NOT NULL CHECK (state IN ('pending', 'success', 'failure', 'error')),
  description     text NOT NULL CHECK (char_length(description) <= 140),
  context         text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  posted_at       timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  -- When the poster may (re)try the row; also a claim, so two services processes never post it at once.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  abandoned_at    timestamptz
);
CREATE INDEX commit_statuses_waiting ON commit_statuses (pipeline_id, id) WHERE posted_at IS NULL AND abandoned_at IS NULL;
`,
};
