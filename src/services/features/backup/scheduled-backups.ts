/**
 * Scheduled backups (GYRE_BACKUP_SCHEDULE): on a timer, the latest cron slot that has come and
 * not been claimed is backed up. A pass runs under the backup run lock, so one process at a time
 * backs up and prunes, and a run left `running` by a process that stopped is known to be dead.
 * Each slot is claimed by inserting its row, so it is backed up once whichever process gets it;
 * after downtime, one backup for the latest missed slot, not one per slot.
 */
import type { Logger } from 'pino';
import { backupNameAt } from '../../../protocol/backup-manifest.js';
import { latestSlot } from '../../../shared/cron-slots.js';
import type { BackupRunResult, BackupRuns } from '../../stores/backup/backup-runs.js';
import type { BackupDestination } from './destinations/backup-destination.js';
import { pruneBackups } from './prune-backups.js';
import { repeatPasses, type RepeatedPasses } from '../../../shared/repeat-passes.js';

export interface ScheduledBackupDeps {
  readonly runs: Pick<
    BackupRuns,
    'whileNoOtherRun' | 'failInterrupted' | 'latestSlot' | 'claim' | 'succeed' | 'fail' | 'keepNewest'
  >;
  readonly destination: BackupDestination;
  /** Writes the backup `name` and reads it back. */
  readonly backUp: (name: string, createdAt: Date) => Promise<BackupRunResult>;
  readonly schedule: string;
  readonly keep: number;
  /** Slots before this are not caught up with when no backup has run yet (the process's start). */
  readonly since: Date;
  readonly logger: Logger;
}

/** What one pass did. */
export type BackupPass =
  | { readonly kind: 'busy' | 'not-due' | 'claimed-elsewhere' }
  | { readonly kind: 'succeeded' | 'failed'; readonly id: number; readonly name: string };

export async function runDueBackup(deps: ScheduledBackupDeps, now: Date): Promise<BackupPass> {
  const pass = await deps.runs.whileNoOtherRun(async (): Promise<BackupPass> => {
    const interrupted = await deps.runs.failInterrupted();
    if (interrupted > 0)
      deps.logger.warn({ interrupted }, 'a backup was interrupted when its services process stopped');
    const slot = latestSlot(deps.schedule, (await deps.runs.latestSlot()) ?? deps.since, now);
    if (slot === undefined) return { kind: 'not-due' };
    const name = backupNameAt(slot);
    const id = await deps.runs.claim(slot, name, deps.destination.description);
    if (id === undefined) return { kind: 'claimed-elsewhere' };
    return backUpSlot(deps, id, name, now);
  });
  return pass === 'busy' ? { kind: 'busy' } : pass;
}

async function backUpSlot(deps: ScheduledBackupDeps, id: number, name: string, now: Date): Promise<BackupPass> {
  const log = deps.logger.child({ backup: name, destination: deps.destination.description });
  log.info('scheduled backup started');
  let result: BackupRunResult;
  try {
    result = await deps.backUp(name, now);
  } catch (error) {
    const message = (error as Error).message;
    log.error({ err: error }, 'scheduled backup failed');
    await deps.runs.fail(id, message);
    // Its partial files go now; the last good backups stay as they are.
    await deps.destination
      .remove(name)
      .catch((cleanup: unknown) => log.warn({ err: cleanup }, 'could not remove the failed backup'));
    return { kind: 'failed', id, name };
  }
  if (!result.verification.passed) {
    log.error({ verification: result.verification.detail }, 'scheduled backup written, but reading it back failed');
    await deps.runs.fail(id, `written, but reading it back failed: ${result.verification.detail}`);
    return { kind: 'failed', id, name };
  }
  await deps.runs.succeed(id, result);
  log.info(
    { databaseBytes: result.databaseBytes, blobs: result.blobs, blobsAdded: result.blobsAdded },
    'scheduled backup written and read back',
  );
  try {
    const pruned = await pruneBackups(
      deps.destination,
      await deps.runs.keepNewest(deps.destination.description, deps.keep),
    );
    if (pruned.backups.length > 0 || pruned.blobs > 0) log.info(pruned, 'older backups removed (GYRE_BACKUP_KEEP)');
  } catch (error) {
    // The new backup is good; the next one tries again.
    log.warn({ err: error }, 'could not remove older backups; the next backup tries again');
  }
  return { kind: 'succeeded', id, name };
}

export interface ScheduledBackupOptions {
  /** @default 30000: a slot is backed up within half a minute */
  readonly intervalMs?: number;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Runs {@link runDueBackup} every `intervalMs`. */
export function startScheduledBackups(deps: ScheduledBackupDeps, options: ScheduledBackupOptions = {}): RepeatedPasses {
  const now = options.now ?? (() => new Date());
  return repeatPasses(
    () => runDueBackup(deps, now()),
    (error) => deps.logger.error({ err: error }, 'the backup schedule failed; the next pass tries again'),
    { intervalMs: options.intervalMs ?? 30_000 },
  );
}
