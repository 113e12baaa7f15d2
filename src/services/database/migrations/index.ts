import { initialMigration } from './001-initial.js';
import { pipelineIntakeMigration } from './002-pipeline-intake.js';
import { buildersAndLeasesMigration } from './003-builders-and-leases.js';
import { logChunksMigration } from './004-log-chunks.js';
import { usersAndSessionsMigration } from './005-users-and-sessions.js';
import { commitStatusesMigration } from './006-commit-statuses.js';
import { jobsQueuedNotifyMigration } from './007-jobs-queued-notify.js';
import { logUsageMigration } from './008-log-usage.js';
import { builderAndStatusNotifyMigration } from './009-builder-and-status-notify.js';
import { projectAccessMigration } from './010-project-access.js';
import { forkPullRequestsMigration } from './011-fork-pull-requests.js';
import { linkedRepositoryMigration } from './012-linked-repository.js';
import { contextsMigration } from './013-contexts.js';
import { githubRolesMigration } from './014-github-roles.js';
import { gitCredentialsMigration } from './015-git-credentials.js';
import { jobDataMigration } from './016-job-data.js';
import { testResultsMigration } from './017-test-results.js';
import { configWarningsMigration } from './018-config-warnings.js';
import { requiredStatusesMigration } from './019-required-statuses.js';
import { schedulesMigration } from './020-schedules.js';
import { approvalJobsMigration } from './021-approval-jobs.js';
import { autoCancelMigration } from './022-auto-cancel.js';
import { parallelNodesMigration } from './023-parallel-nodes.js';
import { orbsMigration } from './024-orbs.js';
import { sshKeysMigration } from './025-ssh-keys.js';
import { jobsMovedNotifyMigration } from './026-jobs-moved-notify.js';
import { dockerInBuildsMigration } from './027-docker-in-builds.js';
import { projectDockerPermissionMigration } from './028-project-docker-permission.js';
import { backupsMigration } from './029-backups.js';
import { sshRerunsMigration } from './031-ssh-reruns.js';
import { userSshKeysMigration } from './030-user-ssh-keys.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every migration, in order. */
export const migrations: readonly Migration[] = [
  initialMigration,
  pipelineIntakeMigration,
  buildersAndLeasesMigration,
  logChunksMigration,
  usersAndSessionsMigration,
  commitStatusesMigration,
  jobsQueuedNotifyMigration,
  logUsageMigration,
  builderAndStatusNotifyMigration,
  projectAccessMigration,
  forkPullRequestsMigration,
  linkedRepositoryMigration,
  contextsMigration,
  githubRolesMigration,
  gitCredentialsMigration,
  jobDataMigration,
  testResultsMigration,
  configWarningsMigration,
  requiredStatusesMigration,
  schedulesMigration,
  approvalJobsMigration,
  autoCancelMigration,
  parallelNodesMigration,
  orbsMigration,
  sshKeysMigration,
  jobsMovedNotifyMigration,
  dockerInBuildsMigration,
  projectDockerPermissionMigration,
  backupsMigration,
  userSshKeysMigration,
  sshRerunsMigration,
];

/** The last migration this Gyre has: a database past it was made by a newer Gyre. */
export const LATEST_SCHEMA = Math.max(...migrations.map((migration) => migration.id));
