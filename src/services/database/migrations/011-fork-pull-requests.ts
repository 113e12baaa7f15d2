import type { Migration } from './migration.js';

/**
 * What a project does with pull requests from forks: build them (the default, as CircleCI does),
 * and whether their builds get the project's secrets (not by default: a fork's author controls
 * the code that runs, and could print them).
 */
export const forkPullRequestsMigration: Migration = {
  id: 11,
  name: 'fork-pull-requests',
  sql: `
ALTER TABLE projects ADD COLUMN build_fork_prs boolean NOT NULL DEFAULT true;
ALTER TABLE projects ADD COLUMN pass_secrets_to_forks boolean NOT NULL DEFAULT false;
`,
};
