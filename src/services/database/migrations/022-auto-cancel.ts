import type { Migration } from './migration.js';

/**
 * A project setting, off by default as in CircleCI: a new pipeline on a branch other than the
 * default one cancels the unfinished jobs of the branch's earlier pipelines (see PipelineStore).
 */
export const autoCancelMigration: Migration = {
  id: 22,
  name: 'auto-cancel',
  sql: `
ALTER TABLE projects ADD COLUMN auto_cancel_redundant boolean NOT NULL DEFAULT false;
`,
};
