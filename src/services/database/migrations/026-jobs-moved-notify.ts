import { NOTIFY_CHANNELS } from '../notification-channels.js';
import type { Migration } from './migration.js';

/**
 * Tells waiting lease long-polls that what they wait behind has moved: a job left `queued` (leased
 * by another builder, canceled) or left `leased`/`running` (its builder has room again). Builders
 * pack jobs by free CPU and memory and take the queue in order, so a builder whose free room does
 * not fit the job at the head of the queue waits for one of these. A row trigger on changes of
 * `state` only, so lease renewals and step writes cost nothing; PostgreSQL folds the identical
 * notifications of one transaction into one.
 */
export const jobsMovedNotifyMigration: Migration = {
  id: 26,
  name: 'jobs-moved-notify',
  sql: `
CREATE FUNCTION gyre_notify_jobs_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${NOTIFY_CHANNELS.jobsMoved}', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_moved_after_update AFTER UPDATE OF state ON jobs FOR EACH ROW
  WHEN ((OLD.state = 'queued' AND NEW.state <> 'queued')
    OR (OLD.state IN ('leased', 'running') AND NEW.state NOT IN ('leased', 'running')))
  EXECUTE FUNCTION gyre_notify_jobs_moved();
`,
};
