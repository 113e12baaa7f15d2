import type { Migration } from './migration.js';

/**
 * Who may do what in a project: explicit members with a role, and a visibility. Private (the
 * default) projects are seen by their members and administrators only; an internal one is seen
 * by every signed-in account. Projects that existed before keep being seen by everyone signed in,
 * as they were, so an upgrade locks nobody out: they become internal.
 */
export const projectAccessMigration: Migration = {
  id: 10,
  name: 'project-access',
  sql: `
ALTER TABLE projects ADD COLUMN visibility text NOT NULL DEFAULT 'internal'
  CHECK (visibility IN ('private', 'internal'));
ALTER TABLE projects ALTER COLUMN visibility SET DEFAULT 'private';
CREATE TABLE project_members (
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('viewer', 'member', 'maintainer')),
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_by_user ON project_members (user_id);
`,
};
