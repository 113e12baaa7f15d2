import type { Migration } from './migration.js';

/**
 * Bytes stored per attempt's log, kept with each stored chunk, so checking the size cap on an
 * append reads one row instead of summing every chunk of the attempt (which grew with the log).
 */
export const logUsageMigration: Migration = {
  id: 8,
  name: 'log-usage',
  sql: `
CREATE TABLE log_usage (
  job_id  bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  bytes   bigint NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
INSERT INTO log_usage (job_id, attempt, bytes)
  SELECT job_id, attempt, sum(byte_length) FROM log_chunks GROUP BY job_id, attempt;
`,
};
