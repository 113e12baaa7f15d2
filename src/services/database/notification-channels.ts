/**
 * The notification channels that Gyre's triggers notify (migrations 007, 009 and 026), declared once
 * for the SQL that notifies and the code that listens.
 */
export const NOTIFY_CHANNELS = {
  /** A statement left jobs `queued`: lease long-polls look for work. */
  jobsQueued: 'gyre_jobs_queued',
  /** Jobs left `queued`, or left `leased`/`running` (freeing room): lease long-polls look again. */
  jobsMoved: 'gyre_jobs_moved',
  /** A builder's state changed (drain, revoke, lost): its lease long-poll answers with the new state. */
  buildersChanged: 'gyre_builders_changed',
  /** Commit statuses were queued: the status poster posts them. */
  statusesQueued: 'gyre_statuses_queued',
} as const;
