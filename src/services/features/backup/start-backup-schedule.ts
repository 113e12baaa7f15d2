/**
 * Wires scheduled backups from the settings: the destination GYRE_BACKUP_DESTINATION names, the
 * PostgreSQL client programs, and the app's settings without secrets as the backup's settings.env.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { renderEnvFileWithoutSecrets, s3UrlOf, type Settings } from '../../../config/index.js';
import type { RepeatedPasses } from '../../../shared/repeat-passes.js';
import { createS3Client } from '../../../shared/s3-client.js';
import type { Database } from '../../database/create-pool.js';
import type { BackupRuns } from '../../stores/backup/backup-runs.js';
import { checkBackup } from './check-backup.js';
import type { BackupDestination } from './destinations/backup-destination.js';
import { FolderDestination } from './destinations/folder-destination.js';
import { S3Destination } from './destinations/s3-destination.js';
import { PostgresTools } from './postgres-tools.js';
import { startScheduledBackups, type ScheduledBackupDeps, type ScheduledBackupOptions } from './scheduled-backups.js';
import { writeBackup } from './write-backup.js';

/** Where GYRE_BACKUP_DESTINATION=data keeps backups. */
function dataBackupFolder(dataDir: string): string {
  return join(dataDir, 'backups');
}

/** Where backups go, as a destination describes itself, without connecting to it. */
export function backupDestinationText(settings: Settings): string {
  const destination = settings.backup.destination;
  return destination.kind === 'data' ? dataBackupFolder(settings.dataDir) : s3UrlOf(destination);
}

function backupDestinationOf(settings: Settings): BackupDestination {
  const destination = settings.backup.destination;
  return destination.kind === 'data'
    ? new FolderDestination(dataBackupFolder(settings.dataDir))
    : new S3Destination(createS3Client(destination), destination);
}

export interface BackupScheduleDeps {
  readonly settings: Settings;
  readonly db: Database;
  /** The database `pg_dump` connects to: the one `db` is a pool of. */
  readonly databaseUrl: string;
  readonly runs: BackupRuns;
  readonly version: string;
  readonly logger: Logger;
}

/** Starts the schedule, or undefined when GYRE_BACKUP_SCHEDULE is unset. */
export function startBackupSchedule(
  deps: BackupScheduleDeps,
  options: ScheduledBackupOptions = {},
): RepeatedPasses | undefined {
  const schedule = deps.settings.backup.schedule;
  if (schedule === undefined) return undefined;
  const scheduled = scheduledBackupDeps(deps, schedule, (options.now ?? (() => new Date()))());
  deps.logger.info(
    { schedule, keep: scheduled.keep, destination: scheduled.destination.description },
    'scheduled backups are on',
  );
  return startScheduledBackups(scheduled, options);
}

/**
 * The schedule's parts, made of the settings (the destination too, unless given); slots before
 * `since` are not caught up with.
 */
export function scheduledBackupDeps(
  deps: BackupScheduleDeps,
  schedule: string,
  since: Date,
  destination: BackupDestination = backupDestinationOf(deps.settings),
): ScheduledBackupDeps {
  const { settings } = deps;
  const tools = new PostgresTools(deps.databaseUrl);
  // The app container holds the settings it was rendered with, not the `.env`: its ports are the
  // container's, and settings it does not read are not there. Said at the top of the file.
  const settingsText = `# The services app's settings when this backup was made (not your .env; secrets left out).\n${renderEnvFileWithoutSecrets(process.env)}`;
  return {
    runs: deps.runs,
    destination,
    schedule,
    keep: settings.backup.keep,
    since,
    logger: deps.logger,
    backUp: async (name, createdAt, signal) => {
      const written = await writeBackup(
        { db: deps.db, settings, version: deps.version, tools, destination, settingsText },
        name,
        createdAt,
        signal,
      );
      return {
        gyre: written.manifest.gyre,
        schema: written.manifest.schema,
        databaseBytes: written.databaseBytes,
        blobs: written.manifest.bucketBlobs?.length ?? written.manifest.files.length - 2,
        blobsAdded: written.blobsAdded,
        blobBytesAdded: written.blobBytesAdded,
        verification: await checkBackup(destination, tools, name, written.manifest, signal),
      };
    },
  };
}
