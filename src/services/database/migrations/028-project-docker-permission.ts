import type { Migration } from './migration.js';

/**
 * Which projects may run jobs with Docker in builds (an engine of their own or the machine
 * executor): an administrator's grant, off by default, because such a job runs an engine whose
 * container has no seccomp or AppArmor profile (docs/design/docker-in-builds.md). The lease
 * passes over a project's Docker jobs until it is granted.
 */
export const projectDockerPermissionMigration: Migration = {
  id: 28,
  name: 'project-docker-permission',
  sql: `
ALTER TABLE projects ADD COLUMN docker_in_builds boolean NOT NULL DEFAULT false;
`,
};
