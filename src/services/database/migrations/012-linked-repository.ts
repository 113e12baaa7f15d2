import type { Migration } from './migration.js';

/**
 * Each project is linked to one GitHub repository (`owner/name`): deliveries that name another are
 * refused, and commit statuses go only to it. Projects cloned from github.com are linked to the
 * repository their URL names; the others stay unlinked (and refuse deliveries) until a maintainer
 * links them. Each queued status row keeps the repository it goes to, taken from the project when
 * it is queued; rows already queued for a repository the project is not linked to are abandoned.
 */
export const linkedRepositoryMigration: Migration = {
  id: 12,
  name: 'linked-repository',
  sql: `
ALTER TABLE projects ADD COLUMN repository text;
UPDATE projects SET repository = regexp_replace(
  substring(git_url FROM '^(?:https?://(?:[^/@]+@)?|ssh://[^/@]+@|git://|[^@/]+@)github\\.com[:/]([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]+)/?$'),
  '\\.git$', '');

ALTER TABLE commit_statuses ADD COLUMN repository text;
UPDATE commit_statuses c SET repository = pr.repository
  FROM pipelines p JOIN projects pr ON pr.id = p.project_id
  WHERE p.id = c.pipeline_id AND lower(p.trigger_detail->>'repository') = lower(pr.repository);
UPDATE commit_statuses SET abandoned_at = now(), last_error = 'the project is not linked to the repository of this pipeline'
  WHERE repository IS NULL AND posted_at IS NULL AND abandoned_at IS NULL;
`,
};
