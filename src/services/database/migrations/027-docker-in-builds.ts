import type { Migration } from './migration.js';

/**
 * Docker in builds: which builders offer it (GYRE_DOCKER_IN_BUILDS, reported at registration),
 * and which jobs need it, as a level the lease compares with the builder's: 0 none, 1 an engine
 * of the job's own (a `setup_remote_docker` step), 2 the machine executor. The column is generated
 * from the spec, so every way a job is made (planning, reruns, approvals) agrees, and the lease
 * filters the queue with it without reading the specs.
 */
export const dockerInBuildsMigration: Migration = {
  id: 27,
  name: 'docker-in-builds',
  sql: `
ALTER TABLE builders ADD COLUMN docker_in_builds text NOT NULL DEFAULT 'off'
  CHECK (docker_in_builds IN ('off', 'remote', 'machine'));
ALTER TABLE jobs ADD COLUMN docker_level smallint NOT NULL GENERATED ALWAYS AS (CASE
  WHEN spec->'machine' = 'true'::jsonb THEN 2
  WHEN spec->'steps' @> '[{"type": "setup_remote_docker"}]' THEN 1
  ELSE 0 END) STORED;
`,
};
