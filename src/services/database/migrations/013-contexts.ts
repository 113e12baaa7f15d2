import type { Migration } from './migration.js';

/**
 * Contexts (CircleCI's `context:`): installation-wide named sets of sealed variables, each
 * usable by every account or only by members of some account groups, and by every project or
 * only some. Restrictions are flags plus lists, so deleting the last listed group or project
 * leaves a context usable by nobody rather than by everybody. Jobs keep the contexts they name,
 * and a job refused one ends `unauthorized` with its reason in `jobs.message`.
 */
export const contextsMigration: Migration = {
  id: 13,
  name: 'contexts',
  sql: `
CREATE TABLE account_groups (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE account_group_members (
  group_id  bigint NOT NULL REFERENCES account_groups(id) ON DELETE CASCADE,
  user_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);

CREATE TABLE contexts (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                 text NOT NULL UNIQUE,
  groups_restricted    boolean NOT NULL DEFAULT false,
  projects_restricted  boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE context_variables (
  context_id  bigint NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
  name        text NOT NULL,
  value       bytea NOT NULL,
  last4       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context_id, name)
);
CREATE TABLE context_groups (
  context_id  bigint NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
  group_id    bigint NOT NULL REFERENCES account_groups(id) ON DELETE CASCADE,
  PRIMARY KEY (context_id, group_id)
);
CREATE TABLE context_projects (
  context_id  bigint NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  PRIMARY KEY (context_id, project_id)
);

ALTER TABLE jobs ADD COLUMN contexts text[] NOT NULL DEFAULT '{}';
`,
};
