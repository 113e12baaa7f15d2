import type { Migration } from './migration.js';

/**
 * Approval jobs (`type: approval`): a job of a workflow that runs nothing. Released by its
 * requirements it waits `on_hold` until a project member approves it (`success`) or cancels it
 * (`canceled`); its message and the audit log name who did. Its `spec` is JSON null. `on_hold` is unfinished, so
 * the index of unfinished jobs, which settling a workflow reads, includes it.
 */
export const approvalJobsMigration: Migration = {
  id: 21,
  name: 'approval-jobs',
  sql: `
ALTER TABLE jobs ADD COLUMN type text NOT NULL DEFAULT 'build' CHECK (type IN ('build', 'approval'));
DROP INDEX jobs_unfinished_by_workflow;
CREATE INDEX jobs_unfinished_by_workflow ON jobs (workflow_id)
  WHERE state IN ('blocked', 'queued', 'leased', 'running', 'on_hold');
`,
};
