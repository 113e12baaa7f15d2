import type { Migration } from './migration.js';

/**
 * `parallelism: N`: a job runs as N rows of `jobs`, its nodes, sharing its name and requirements;
 * `node_index` is each one's CIRCLE_NODE_INDEX. A name is unique per workflow and node. Jobs
 * stored before are node 0 of 1.
 */
export const parallelNodesMigration: Migration = {
  id: 23,
  name: 'parallel-nodes',
  sql: `
ALTER TABLE jobs ADD COLUMN node_index integer NOT NULL DEFAULT 0 CHECK (node_index >= 0);
ALTER TABLE jobs ADD COLUMN node_total integer NOT NULL DEFAULT 1 CHECK (node_total >= 1 AND node_index < node_total);
ALTER TABLE jobs DROP CONSTRAINT jobs_workflow_id_name_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_workflow_id_name_node_key UNIQUE (workflow_id, name, node_index);
`,
};
