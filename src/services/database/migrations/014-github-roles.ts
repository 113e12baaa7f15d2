import type { Migration } from './migration.js';

/**
 * Roles that follow GitHub: an account that signed in with GitHub keeps its OAuth token (sealed),
 * and the role its GitHub permission on a project's linked repository gives it is cached per
 * account and repository (lower case, as GitHub compares names) for minutes. `role` is null when
 * GitHub says the account has no access.
 */
export const githubRolesMigration: Migration = {
  id: 14,
  name: 'github-roles',
  sql: `
ALTER TABLE users ADD COLUMN github_token bytea;
CREATE TABLE github_repository_roles (
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  repository  text NOT NULL,
  role        text,
  checked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, repository)
);
`,
};
