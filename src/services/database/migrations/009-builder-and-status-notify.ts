import { NOTIFY_CHANNELS } from '../notification-channels.js';
import type { Migration } from './migration.js';

/**
 * Two more wake-ups instead of polling: a builder's state change (a drain, a revocation) ends its
 * waiting lease long-poll at once, and queued commit statuses wake the poster. The builder
 * trigger fires only when `state` changes, not on the `last_seen_at` update of every request.
 */
export const builderAndStatusNotifyMigration: Migration = {
  id: 9,
  name: 'builder-and-status-notify',
  sql: `
CREATE FUNCTION gyre_notify_builder_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${NOTIFY_CHANNELS.buildersChanged}', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER builders_state_after_update AFTER UPDATE OF state ON builders
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION gyre_notify_builder_state();

CREATE FUNCTION gyre_notify_statuses_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${NOTIFY_CHANNELS.statusesQueued}', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER commit_statuses_after_insert AFTER INSERT ON commit_statuses
  FOR EACH STATEMENT EXECUTE FUNCTION gyre_notify_statuses_queued();
`,
};
