import type { Migration } from './migration.js';

/**
 * Scheduled backups (GYRE_BACKUP_SCHEDULE): one row per cron slot, claimed by inserting it, so a
 * slot is backed up once however many services processes run the schedule. The row then records
 * what the run wrote and what checking it again found, for the admin console and `gyre doctor`.
 */
export const backupsMigration: Migration = {
  id: 29,
  name: 'backups',
  sql: `
CREATE TABLE backups (
  id bigserial PRIMARY KEY,
  slot timestamptz NOT NULL UNIQUE,
  -- The backup's folder name in its destination, e.g. 2026-12-07T03-00-00Z.
  name text NOT NULL,
  -- GYRE_DATA_DIR/backups or s3://bucket/prefix, as it was when the backup ran.
  destination text NOT NULL,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'succeeded', 'failed', 'removed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  gyre text,
  schema_version integer,
  database_bytes bigint,
  blobs integer,
  blobs_added integer,
  blob_bytes_added bigint,
  -- What reading the backup back found: passed, or failed with the reason in the detail.
  verification text CHECK (verification IN ('passed', 'failed')),
  verification_detail text,
  error text
);
CREATE INDEX backups_started_at ON backups (started_at DESC);
`,
};
