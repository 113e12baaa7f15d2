/**
 * Builds the services app's parts from settings and a database pool: the stores, the git
 * mirror, the pipeline planner. One place that wires concrete implementations together.
 */
import { SshReruns } from './features/ssh/ssh-reruns.js';
import { GitHubSshKeys } from './features/ssh/github-ssh-keys.js';
import { SshAttempts } from './stores/jobs/ssh-attempts.js';
import type { AdminDeps } from './features/admin/admin-deps.js';
import type { UserUiDeps } from './features/web/user-ui.js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/index.js';
import { AuditLog } from './stores/audit/audit-log.js';
import { DEFAULT_RESOURCE_CLASSES } from './core/pipeline-config/index.js';
import { RuntimeSettings } from './stores/settings/runtime-settings.js';
import { BuilderStore } from './stores/builders/builder-store.js';
import { JoinSecrets } from './stores/builders/join-secrets.js';
import type { Database } from './database/create-pool.js';
import { NOTIFY_CHANNELS } from './database/notification-channels.js';
import { DatabaseNotifications, type ChangeSignal } from './database/notifications.js';
import { DeliveryStore } from './stores/deliveries/delivery-store.js';
import { GitMirror, HostPolicy } from './git/index.js';
import { GitCredentialStore } from './stores/projects/git-credentials.js';
import { SshKeyStore } from './stores/projects/ssh-keys.js';
import { LogStore } from './stores/logs/log-store.js';
import { TestResultStore } from './stores/test-results/test-result-store.js';
import { PipelinePlanner } from './features/pipelines/pipeline-planner.js';
import { PipelineStore } from './stores/pipelines/pipeline-store.js';
import { ArtifactStore } from './stores/artifacts/artifact-store.js';
import { CacheStore } from './stores/caches/cache-store.js';
import { WorkspaceStore } from './stores/workspaces/workspace-store.js';
import { TEST_RESULTS_MAX_BYTES } from './features/protocol/transfers/transfer-deps.js';
import type { BlobStore } from './blobs/blob-store.js';
import { ProjectStore } from './stores/projects/project-store.js';
import { ContextStore } from './stores/contexts/context-store.js';
import { GroupStore } from './stores/accounts/group-store.js';
import { GitHubGrants } from './stores/accounts/github-grants.js';
import { GitHubRoles } from './features/web/github-roles.js';
import { ProjectAccess } from './stores/projects/project-access.js';
import { JobStore } from './stores/jobs/job-store.js';
import { OrbStore } from './stores/orbs/orb-store.js';
import { ScheduleStore } from './stores/schedules/schedule-store.js';
import { createSecretBox } from './core/security/secret-box.js';
import { LoginLimiter } from './http/login-limiter.js';
import { SessionStore } from './stores/accounts/session-store.js';
import { UserStore } from './stores/accounts/user-store.js';
import { createViews } from './http/views.js';
import { BackupRuns } from './stores/backup/backup-runs.js';
import { UserSshKeys } from './stores/accounts/user-ssh-keys.js';
import { backupDestinationText } from './features/backup/start-backup-schedule.js';

/** Everything the listeners serve: the API's parts, the web UI's and the admin console's. */
export interface ServiceParts extends UserUiDeps, AdminDeps {
  /** The listening connection behind the wake-up signals; started and stopped with the app. */
  readonly notifications: DatabaseNotifications;
  /** Wakes the commit status poster when statuses are queued. */
  readonly statusWakeups: ChangeSignal;
}

/** `blobs`: where caches, workspace layers and artifacts keep their bytes. */
export function createServiceParts(
  settings: Settings,
  db: Database,
  logger: Logger,
  version: string,
  blobs: BlobStore,
): ServiceParts {
  const box = createSecretBox(settings.secrets.encryptionKey!);
  const projects = new ProjectStore(db, box);
  const contexts = new ContextStore(db, box);
  const runtimeSettings = new RuntimeSettings(db, box);
  const githubGrants = new GitHubGrants(db, box);
  const githubRoles = new GitHubRoles(
    githubGrants,
    () => runtimeSettings.gitHubApp(),
    logger.child({ part: 'github-roles' }),
  );
  // The jobs store calls back into the pipelines store, which owns workflows, to settle them.
  const jobs: JobStore = new JobStore(db, (client, workflowId) => pipelines.settleWorkflow(client, workflowId));
  const pipelines = new PipelineStore(db, jobs);
  const credentials = new GitCredentialStore(db, box);
  const projectAccess = new ProjectAccess(db, githubRoles);
  const schedules = new ScheduleStore(db);
  const orbs = new OrbStore(db);
  const hostPolicy = new HostPolicy({ allowed: settings.gitAllowedHosts });
  const git = new GitMirror({
    cacheDir: join(settings.dataDir, 'git-mirrors'),
    logger: logger.child({ part: 'git' }),
    hostPolicy,
  });
  // The admin console's table, read per pipeline, so a change applies to the next push.
  const notifications = new DatabaseNotifications(db, logger.child({ part: 'notifications' }));
  const resourceClasses = async () => (await runtimeSettings.get('resourceClasses')) ?? DEFAULT_RESOURCE_CLASSES;
  return {
    db,
    version,
    publicUrl: settings.publicUrl,
    projects,
    projectAccess,
    githubGrants,
    credentials,
    sshKeys: new SshKeyStore(db, box),
    userSshKeys: new UserSshKeys(db),
    sshReruns: new SshReruns(
      db,
      new SshAttempts(db),
      new GitHubSshKeys({
        githubApp: () => runtimeSettings.gitHubApp(),
        tokenOf: (userId) => githubGrants.token(userId),
        logger: logger.child({ part: 'github-ssh-keys' }),
      }),
      projectAccess,
      settings.sshHold,
    ),
    hostPolicy,
    pipelines,
    blobs,
    caches: new CacheStore(db),
    workspaces: new WorkspaceStore(db),
    artifacts: new ArtifactStore(db),
    transferLimits: { ...settings.transferLimits, testResultBytes: TEST_RESULTS_MAX_BYTES },
    deliveries: new DeliveryStore(db),
    contexts,
    orbs,
    groups: new GroupStore(db),
    planner: new PipelinePlanner(
      pipelines,
      projects,
      contexts,
      git,
      credentials,
      schedules,
      orbs,
      logger.child({ part: 'pipelines' }),
      resourceClasses,
    ),
    branches: git,
    builders: new BuilderStore(db),
    joinSecrets: new JoinSecrets(db),
    jobs,
    logs: new LogStore(db, { maxAttemptBytes: settings.jobLogMaxBytes }),
    testResults: new TestResultStore(db),
    schedules,
    notifications,
    leaseWakeups: notifications.signal([
      NOTIFY_CHANNELS.jobsQueued,
      NOTIFY_CHANNELS.jobsMoved,
      NOTIFY_CHANNELS.buildersChanged,
    ]),
    statusWakeups: notifications.signal([NOTIFY_CHANNELS.statusesQueued]),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    limiter: new LoginLimiter(),
    views: createViews(),
    // With TLS on, every listener a browser uses is HTTPS, whatever GYRE_PUBLIC_URL says.
    secureCookies: settings.tls !== undefined || settings.publicUrl.startsWith('https:'),
    runtimeSettings,
    githubApp: () => runtimeSettings.gitHubApp(),
    webhookBaseUrl: async () => (await runtimeSettings.get('webhooks.baseUrl')) ?? settings.publicUrl,
    audit: new AuditLog(db),
    backups: {
      runs: new BackupRuns(db),
      schedule: settings.backup.schedule,
      keep: settings.backup.keep,
      destination: backupDestinationText(settings),
    },
    adminPassword: settings.secrets.adminPassword,
  };
}
