import type { Migration } from './migration.js';

/**
 * What jobs keep for later, as rows that name blobs of the blob store by their sha256: caches
 * (per project, immutable per key), workspace layers (one per `persist_to_workspace` of a job attempt, read by the jobs that
 * require it) and artifacts (files a job stored for people to download). Rows go with their
 * project or job; the blobs they name are removed by the retention sweeper once no row names them.
 *
 * Cache keys are compared byte by byte (COLLATE "C"), as CircleCI compares them, which also lets
 * the unique index serve prefix lookups (`key LIKE 'v1-deps-%'`). A project's caches are split by
 * `partition`: '' for its trusted builds, `fork:<owner/name>` for a fork's pull requests
 * (src/services/core/access/fork-caches.ts), so untrusted code neither reads nor poisons them.
 */
export const jobDataMigration: Migration = {
  id: 16,
  name: 'job-data',
  sql: `
CREATE TABLE caches (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id    bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  partition     text NOT NULL DEFAULT '',
  key           text COLLATE "C" NOT NULL CHECK (key <> ''),
  digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Touched by each restore; the least recently used caches are evicted first.
  last_used_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, partition, key)
);
CREATE INDEX caches_by_digest ON caches (digest);

-- A job attempt's layers, one per persist_to_workspace step, in the order of their ids; a retried
-- upload of the same bytes is the same layer. Readers take each upstream job's attempt that succeeded.
CREATE TABLE workspace_layers (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  job_id      bigint NOT NULL,
  attempt     integer NOT NULL,
  digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  size        bigint NOT NULL CHECK (size >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, attempt, digest),
  FOREIGN KEY (job_id, attempt) REFERENCES job_attempts (job_id, attempt) ON DELETE CASCADE
);
CREATE INDEX workspace_layers_by_digest ON workspace_layers (digest);

-- Each file a job attempt stored, under its destination path; storing a path again in the same
-- attempt replaces it.
CREATE TABLE artifacts (
  job_id        bigint NOT NULL,
  attempt       integer NOT NULL,
  path          text NOT NULL CHECK (path <> ''),
  digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size >= 0),
  content_type  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, attempt, path),
  FOREIGN KEY (job_id, attempt) REFERENCES job_attempts (job_id, attempt) ON DELETE CASCADE
);
CREATE INDEX artifacts_by_digest ON artifacts (digest);
CREATE INDEX artifacts_by_age ON artifacts (created_at);
`,
};
