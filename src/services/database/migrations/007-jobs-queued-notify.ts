import { NOTIFY_CHANNELS } from '../notification-channels.js';
import type { Migration } from './migration.js';

/**
 * Tells waiting lease long-polls that jobs were queued: after any statement that inserts or
 * updates jobs, one notification on `gyre_jobs_queued` if the statement left any job `queued`.
 * Statement-level with a transition table, so queueing 10,000 jobs costs one notification, and
 * PostgreSQL folds identical notifications of one transaction into one.
 */
export const jobsQueuedNotifyMigration: Migration = {
  id: 7,
  name: 'jobs-queued-notify',
  sql: `
CREATE FUNCTION gyre_notify_jobs_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed WHERE state = 'queued') THEN
    PERFORM pg_notify('${NOTIFY_CHANNELS.jobsQueued}', '');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_queued_after_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION gyre_notify_jobs_queued();
CREATE TRIGGER jobs_queued_after_update AFTER UPDATE ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION gyre_notify_jobs_queued();
`,
};
