import type { Migration } from './migration.js';

/**
 * Scheduled pipelines: a project's named schedules (cron in UTC, a branch, pipeline parameters),
 * and those a config's legacy `triggers:` define, which name their `workflow` (null for the others)
 * and are kept in step with the config of their branch's last push.
 * `last_slot` is the last cron slot fired; moving it forward and creating the slot's pipeline
 * happen in one transaction, so each slot fires once however many services processes race for it.
 */
export const schedulesMigration: Migration = {
  id: 20,
  name: 'schedules',
  sql: `
CREATE TABLE schedules (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name        text NOT NULL,
  cron        text NOT NULL,
  branch      text NOT NULL,
  parameters  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  last_slot   timestamptz,
  workflow    text,
  UNIQUE (project_id, name)
);
`,
};
