import type { Migration } from './migration.js';

/**
 * Test results a job stored with `store_test_results`: one row per JUnit report file of a job
 * attempt, with its totals and what could not be read, and one row per test case of it.
 *
 * Files are keyed by (job, attempt, path): recording the same path again for the attempt replaces
 * it, so a retried upload counts once, while several `store_test_results` steps add up. Each
 * attempt keeps its own rows; readers show the newest attempt that has any. Failed cases are
 * listed through a partial index without reading the passing ones.
 */
export const testResultsMigration: Migration = {
  id: 17,
  name: 'test-results',
  sql: `
CREATE TABLE test_result_files (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id        bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt       integer NOT NULL CHECK (attempt >= 1),
  path          text NOT NULL,
  -- Counted from every case of the file, stored or not.
  tests         integer NOT NULL,
  failures      integer NOT NULL,
  errors        integer NOT NULL,
  skipped       integer NOT NULL,
  time_seconds  double precision NOT NULL,
  -- Cases stored as rows; the rest were over the per-attempt cap.
  cases_stored  integer NOT NULL,
  -- What could not be read, each naming the file.
  warnings      text[] NOT NULL DEFAULT '{}',
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, attempt, path)
);

CREATE TABLE test_cases (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_id       bigint NOT NULL REFERENCES test_result_files (id) ON DELETE CASCADE,
  result        text NOT NULL CHECK (result IN ('passed', 'failed', 'error', 'skipped')),
  suite         text NOT NULL,
  classname     text NOT NULL,
  name          text NOT NULL,
  file          text,
  time_seconds  double precision NOT NULL,
  message       text,
  details       text
);
-- Cases of a file in the order the report lists them; failed ones without the passing.
CREATE INDEX test_cases_by_file ON test_cases (file_id, id);
CREATE INDEX test_cases_failed_by_file ON test_cases (file_id, id) WHERE result IN ('failed', 'error');
`,
};
