/**
 * Builds the services app's parts from settings and a database pool: the stores, the git
 * mirror, the pipeline planner. One place that wires concrete implementations together.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/index.js';
import { AuditLog } from './admin/audit-log.js';
import type { GitHubAppConfig } from './auth/github-oauth.js';
import { DEFAULT_RESOURCE_CLASSES } from './pipeline-config/index.js';
import { RuntimeSettings } from './admin/runtime-settings.js';
import type { ApiDeps } from './api/register-api.js';
import { BuilderStore } from './builders/builder-store.js';
import { JoinSecrets } from './builders/join-secrets.js';
import type { Database } from './database/create-pool.js';
import { NOTIFY_CHANNELS } from './database/notification-channels.js';
import { DatabaseNotifications, type ChangeSignal } from './database/notifications.js';
import { DeliveryStore } from './deliveries/delivery-store.js';
import { GitMirror } from './git/index.js';
import { LogStore } from './logs/index.js';
import { PipelineBuilder } from './pipelines/pipeline-builder.js';
import { PipelineStore } from './pipelines/pipeline-store.js';
import { ProjectStore } from './projects/project-store.js';
import { JobWrites } from './scheduler/job-writes.js';
import { createSecretBox } from './security/secret-box.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { SessionStore } from './auth/session-store.js';
import { UserStore } from './auth/user-store.js';
import { createViews, type RenderView } from './web/views.js';

/** Everything the listeners serve: the API's parts plus the web UI's. */
export interface ServiceParts extends ApiDeps {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  readonly views: RenderView;
  readonly secureCookies: boolean;
  /** Settings administrators change in the admin console. */
  readonly runtimeSettings: RuntimeSettings;
  /** The GitHub OAuth app for sign-in, once an administrator has set it. */
  githubApp(): Promise<GitHubAppConfig | undefined>;
  readonly audit: AuditLog;
  /** GYRE_ADMIN_PASSWORD, for the admin console's built-in `admin` account. */
  readonly adminPassword: string | undefined;
  /** The listening connection behind the wake-up signals; started and stopped with the app. */
  readonly notifications: DatabaseNotifications;
  /** Wakes the commit status poster when statuses are queued. */
  readonly statusWakeups: ChangeSignal;
}

export function createServiceParts(settings: Settings, db: Database, logger: Logger, version: string): ServiceParts {
  const box = createSecretBox(settings.secrets.encryptionKey!);
  const projects = new ProjectStore(db, box);
  const pipelines = new PipelineStore(db);
  const git = new GitMirror({ cacheDir: join(settings.dataDir, 'git-mirrors'), logger: logger.child({ part: 'git' }) });
  const runtimeSettings = new RuntimeSettings(db, box);
  // The admin console's table, read per pipeline, so a change applies to the next push.
  const notifications = new DatabaseNotifications(db, logger.child({ part: 'notifications' }));
  const resourceClasses = async () => (await runtimeSettings.get('resourceClasses')) ?? DEFAULT_RESOURCE_CLASSES;
  return {
    db,
    version,
    publicUrl: settings.publicUrl,
    projects,
    pipelines,
    deliveries: new DeliveryStore(db),
    builder: new PipelineBuilder(pipelines, projects, git, logger.child({ part: 'pipelines' }), resourceClasses),
    branches: git,
    builders: new BuilderStore(db),
    joinSecrets: new JoinSecrets(db),
    jobs: new JobWrites(db),
    logs: new LogStore(db),
    notifications,
    leaseWakeups: notifications.signal([NOTIFY_CHANNELS.jobsQueued, NOTIFY_CHANNELS.buildersChanged]),
    statusWakeups: notifications.signal([NOTIFY_CHANNELS.statusesQueued]),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    limiter: new LoginLimiter(),
    views: createViews(),
    secureCookies: settings.publicUrl.startsWith('https:'),
    runtimeSettings,
    githubApp: () => runtimeSettings.gitHubApp(),
    webhookBaseUrl: async () => (await runtimeSettings.get('webhooks.baseUrl')) ?? settings.publicUrl,
    audit: new AuditLog(db),
    adminPassword: settings.secrets.adminPassword,
  };
}
