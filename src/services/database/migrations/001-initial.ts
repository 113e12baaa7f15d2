import type { Migration } from './migration.js';

/**
 * The first schema: projects and their encrypted variables, API tokens, raw webhook deliveries,
 * and the pipeline → workflow → job tree that the scheduler runs.
 */
export const initialMigration: Migration = {
  id: 1,
  name: 'initial',
  sql: `
CREATE TABLE projects (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL UNIQUE,
  git_url         text NOT NULL,
  default_branch  text NOT NULL DEFAULT 'main',
  -- Encrypted with the installation key, like every project secret.
  webhook_secret  bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_variables (
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name        text NOT NULL,
  -- AES-256-GCM with the installation key; only the last 4 characters are kept in clear.
  value       bytea NOT NULL,
  last4       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, name)
);

CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL,
  -- SHA-256 of the token; the token itself is shown once and never stored.
  token_hash   bytea NOT NULL UNIQUE,
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE webhook_deliveries (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id   text NOT NULL UNIQUE,
  event         text NOT NULL,
  project_id    bigint REFERENCES projects(id) ON DELETE SET NULL,
  headers       jsonb NOT NULL,
  body          bytea NOT NULL,
  outcome       text NOT NULL DEFAULT 'received',
  outcome_detail text,
  received_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipelines (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id    bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  number        integer NOT NULL,
  -- Not unique: redelivering a stored delivery makes a new pipeline. Deliveries themselves are unique.
  delivery_id   bigint REFERENCES webhook_deliveries(id) ON DELETE SET NULL,
  trigger       text NOT NULL,
  ref           text NOT NULL,
  branch        text,
  tag           text,
  sha           text NOT NULL,
  state         text NOT NULL,
  error         jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, number)
);

CREATE TABLE workflows (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pipeline_id  bigint NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  name         text NOT NULL,
  state        text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (pipeline_id, name)
);

CREATE TABLE jobs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workflow_id   bigint NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  name          text NOT NULL,
  requires      text[] NOT NULL DEFAULT '{}',
  spec          jsonb NOT NULL,
  state         text NOT NULL,
  attempt       integer NOT NULL DEFAULT 0,
  queued_at     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, name)
);
CREATE INDEX jobs_queued ON jobs (queued_at) WHERE state = 'queued';

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor       text NOT NULL,
  action      text NOT NULL,
  target      text,
  detail      jsonb,
  at          timestamptz NOT NULL DEFAULT now()
);
`,
};
