import type { Migration } from './migration.js';

/**
 * Docker in builds: which builders offer it (GYRE_DOCKER_IN_BUILDS, reported at registration),
 * and which jobs need it. A job needs it when a step is `setup_remote_docker`; the column is
 * generated from the spec, so every way a job is made (planning, reruns, approvals) agrees, and
 * the lease filters the queue with it without reading the specs.
 */
export const dockerInBuildsMigration: Migration = {
  id: 27,
  name: 'docker-in-builds',
  sql: `
ALTER TABLE builders ADD COLUMN docker_in_builds text NOT NULL DEFAULT 'off'
  CHECK (docker_in_builds IN ('off', 'remote'));
ALTER TABLE jobs ADD COLUMN needs_docker boolean
  GENERATED ALWAYS AS (coalesce(spec->'steps' @> '[{"type": "setup_remote_docker"}]', false)) STORED;
`,
};
