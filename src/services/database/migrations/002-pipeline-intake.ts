import type { Migration } from './migration.js';

/**
 * What taking in pushes needs: a per-project pipeline counter (numbers without races), the
 * trigger's details on each pipeline, and the status each delivery was answered with.
 */
export const pipelineIntakeMigration: Migration = {
  id: 2,
  name: 'pipeline-intake',
  sql: `
ALTER TABLE projects ADD COLUMN pipeline_counter integer NOT NULL DEFAULT 0;
ALTER TABLE pipelines ADD COLUMN trigger_detail jsonb NOT NULL DEFAULT '{}';
ALTER TABLE pipelines ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX pipelines_by_project ON pipelines (project_id, id DESC);
CREATE INDEX pipelines_pending ON pipelines (id) WHERE state = 'pending';
ALTER TABLE webhook_deliveries ADD COLUMN status_code integer;
ALTER TABLE webhook_deliveries ADD COLUMN processed_at timestamptz;
CREATE INDEX jobs_by_workflow ON jobs (workflow_id);
CREATE INDEX pipelines_by_delivery ON pipelines (delivery_id);
CREATE INDEX workflows_by_pipeline ON workflows (pipeline_id);
`,
};
