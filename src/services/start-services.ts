/**
 * Starts the services app (`gyre serve`): migrates PostgreSQL, opens the user and admin
 * listeners, resumes pending pipelines and starts the reaper, the commit status poster, the
 * retention sweeper, scheduled backups and the listener that wakes builders' lease long-polls when jobs are queued.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { databaseUrlOf, type Settings } from '../config/index.js';
import { InvalidInputError } from '../shared/errors.js';
import { registerAdminConsole } from './features/admin/admin-console.js';
import { registerApi } from './features/api/register-api.js';
import { createServiceParts } from './create-service-parts.js';
import { createDatabasePool } from './database/create-pool.js';
import { migrateDatabase } from './database/migrate.js';
import { waitForDatabase } from './database/wait-for-database.js';
import { registerHealthRoutes } from './features/health/health-routes.js';
import { startStatusPoster, type StatusPosterOptions } from './features/statuses/status-poster.js';
import { createListeners } from './http/create-listeners.js';
import { startReaper } from './features/scheduler/reaper.js';
import { startRetentionSweeper } from './features/retention/retention-sweeper.js';
import { PostgresBlobDeletionLock } from './stores/backup/blob-deletion-lock.js';
import { startScheduleFiring, type ScheduleFiringOptions } from './features/schedules/schedule-firing.js';
import { startBackupSchedule } from './features/backup/start-backup-schedule.js';
import type { ScheduledBackupOptions } from './features/backup/scheduled-backups.js';
import type { BlobStore } from './blobs/blob-store.js';
import { createBlobStore } from './blobs/create-blob-store.js';
import { registerUserUi } from './features/web/user-ui.js';
import { userPages } from './features/web/user-pages.js';
import { registerAccessPolicy, type PolicedRoute } from './http/access-policy.js';

export interface RunningServices {
  /** Addresses the listeners are bound to, e.g. `http://0.0.0.0:80`. */
  readonly addresses: { readonly user: string; readonly admin: string; readonly userTls?: string };
  /** Every route of the user and admin listeners with who may call it (the HTTPS listener serves the user's). */
  readonly routes: { readonly user: readonly PolicedRoute[]; readonly admin: readonly PolicedRoute[] };
  /** Stops accepting connections, lets in-flight requests finish and closes the pool. */
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly version: string;
  /** Listen host; all interfaces by default. */
  readonly host?: string;
  /** How often expired leases and drain deadlines are handled. @default 5000 */
  readonly reapIntervalMs?: number;
  /** Polling and retry timings of the GitHub commit status poster. */
  readonly statusPoster?: StatusPosterOptions;
  /** How long to wait for the database to answer at start. @default 180000 */
  readonly databaseWaitMs?: number;
  /** Where caches, workspace layers and artifacts keep their bytes. @default the one the settings name */
  readonly blobs?: BlobStore;
  /** How often schedules are checked, and the clock they are checked by. @default every 30 s, the system clock */
  readonly scheduleFiring?: ScheduleFiringOptions;
  /** How often the backup schedule is checked, and its clock. @default every 30 s, the system clock */
  readonly scheduledBackups?: ScheduledBackupOptions;
}

/** Long enough for the bundled PostgreSQL to initialise its data folder on a slow disk. */
const DATABASE_WAIT_MS = 180_000;

export async function startServices(
  settings: Settings,
  logger: Logger,
  options: ServeOptions,
): Promise<RunningServices> {
  const url = databaseUrlOf(settings);
  if (!url)
    throw new InvalidInputError('settings', [
      {
        input: 'GYRE_DB_PASSWORD',
        message: 'is required to reach the bundled database',
        hint: 'set GYRE_DB_PASSWORD or GYRE_DATABASE_URL',
      },
    ]);
  const blobs = options.blobs ?? createBlobStore(settings.blobStore, settings.dataDir);
  const db = createDatabasePool(url, logger);
  await waitForDatabase(
    db,
    logger,
    options.databaseWaitMs ?? DATABASE_WAIT_MS,
    settings.database.kind === 'external' ? 'GYRE_DATABASE_URL' : 'GYRE_DB_PASSWORD',
  );
  const migration = await migrateDatabase(db, logger);
  logger.info({ schema: migration.current, applied: migration.applied.length }, 'database schema is current');
  const listeners = createListeners(settings, logger);
  const userApps = [listeners.user, ...(listeners.userTls ? [listeners.userTls] : [])];
  const parts = createServiceParts(settings, db, logger, options.version, blobs);
  await parts.joinSecrets.seed(settings.secrets.joinSecret!);
  // Before any route: every route must declare who may call it, and gets that checked.
  const routes = { user: [] as PolicedRoute[], admin: [] as PolicedRoute[] };
  registerAccessPolicy(listeners.user, parts.projectAccess, routes.user);
  if (listeners.userTls) registerAccessPolicy(listeners.userTls, parts.projectAccess);
  registerAccessPolicy(listeners.admin, parts.projectAccess, routes.admin);
  // The API first: its OpenAPI collector documents every route registered after it.
  for (const app of userApps) registerApi(app, parts);
  for (const app of [...userApps, listeners.admin]) registerHealthRoutes(app, db, options.version);
  for (const app of userApps) registerUserUi(app, parts, userPages);
  registerAdminConsole(listeners.admin, parts);
  parts.notifications.start();
  await parts.planner.resumePending();
  const reaper = startReaper(
    { db, jobs: parts.jobs, builders: parts.builders, logger: logger.child({ part: 'reaper' }) },
    options.reapIntervalMs,
  );
  const statusPoster = startStatusPoster(
    {
      db,
      runtimeSettings: parts.runtimeSettings,
      publicUrl: settings.publicUrl,
      wakeups: parts.statusWakeups,
      logger: logger.child({ part: 'commit-statuses' }),
    },
    options.statusPoster,
  );
  const retentionSweeper = startRetentionSweeper({
    caches: parts.caches,
    workspaces: parts.workspaces,
    artifacts: parts.artifacts,
    blobs: parts.blobs,
    blobDeletion: new PostgresBlobDeletionLock(db),
    retention: settings.retention,
    logger: logger.child({ part: 'retention' }),
  });

  const scheduleFiring = startScheduleFiring(
    { ...parts, logger: logger.child({ part: 'schedules' }) },
    options.scheduleFiring,
  );

  const backupSchedule = startBackupSchedule(
    {
      settings,
      db,
      databaseUrl: url,
      runs: parts.backups.runs,
      version: options.version,
      logger: logger.child({ part: 'backups' }),
    },
    options.scheduledBackups,
  );

  const host = options.host ?? '0.0.0.0';
  const listen = (app: FastifyInstance, port: number) => app.listen({ host, port });
  const addresses = {
    user: await listen(listeners.user, settings.listen.httpPort),
    admin: await listen(listeners.admin, settings.listen.adminPort),
    ...(listeners.userTls && { userTls: await listen(listeners.userTls, settings.listen.httpsPort) }),
  };
  logger.info({ addresses, publicUrl: settings.publicUrl }, 'gyre serve is listening');
  return {
    addresses,
    routes,
    close: async () => {
      // First, so waiting lease long-polls answer now rather than holding the close for up to 30 s.
      await parts.notifications.stop();
      await Promise.all([...userApps, listeners.admin].map((app) => app.close()));
      await reaper.stop();
      await parts.planner.idle();
      await statusPoster.stop();
      await retentionSweeper.stop();
      await scheduleFiring.stop();
      await backupSchedule?.stop();
      await db.end();
    },
  };
}
