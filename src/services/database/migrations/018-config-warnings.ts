import type { Migration } from './migration.js';

/**
 * What a pipeline's config says that Gyre ignores, as CircleCI does (an image's `ports`, the
 * deprecated `deploy` step): kept with the pipeline, each with its line and column, so the API and
 * the pipeline page can tell the user the line does nothing. A pipeline planned before has none.
 */
export const configWarningsMigration: Migration = {
  id: 18,
  name: 'config-warnings',
  sql: `ALTER TABLE pipelines ADD COLUMN config_warnings jsonb NOT NULL DEFAULT '[]';`,
};
