/**
 * Builds the services app's parts from settings and a database pool: the stores, the git
 * mirror, the pipeline planner. One place that wires concrete implementations together.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Settings } from '../config/index.js';
import type { ApiDeps } from './api/register-api.js';
import { BuilderStore } from './builders/builder-store.js';
import { JoinSecrets } from './builders/join-secrets.js';
import type { Database } from './database/create-pool.js';
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
}

export function createServiceParts(settings: Settings, db: Database, logger: Logger, version: string): ServiceParts {
  const projects = new ProjectStore(db, createSecretBox(settings.secrets.encryptionKey!));
  const pipelines = new PipelineStore(db);
  const git = new GitMirror({ cacheDir: join(settings.dataDir, 'git-mirrors'), logger: logger.child({ part: 'git' }) });
  return {
    db,
    version,
    publicUrl: settings.publicUrl,
    projects,
    pipelines,
    deliveries: new DeliveryStore(db),
    builder: new PipelineBuilder(pipelines, projects, git, logger.child({ part: 'pipelines' })),
    branches: git,
    builders: new BuilderStore(db),
    joinSecrets: new JoinSecrets(db),
    jobs: new JobWrites(db),
    logs: new LogStore(db),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    limiter: new LoginLimiter(),
    views: createViews(),
    secureCookies: settings.publicUrl.startsWith('https:'),
  };
}
