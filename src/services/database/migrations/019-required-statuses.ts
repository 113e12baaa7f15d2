import type { Migration } from './migration.js';

/**
 * The statuses each requirement of a job waits for (`requires: [{ test: failed }]`), as a map from
 * required job name to CircleCI statuses: `{"test": ["failed"]}`. `requires` keeps the names, which
 * the workspace layers, the job graph and the API read; a name missing from the map waits for
 * `success`, so jobs stored before this migration keep their meaning.
 */
export const requiredStatusesMigration: Migration = {
  id: 19,
  name: 'required-statuses',
  sql: `
ALTER TABLE jobs ADD COLUMN required_statuses jsonb NOT NULL DEFAULT '{}'
  CHECK (jsonb_typeof(required_statuses) = 'object');
`,
};
