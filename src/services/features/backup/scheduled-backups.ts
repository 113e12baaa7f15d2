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
    | 'whileNoOtherRun'
    | 'interrupted'
    | 'settleInterrupted'
    | 'latestSlot'
    | 'claim'
    | 'succeed'
    | 'fail'
    | 'removeBeyond'
  >;
  readonly destination: BackupDestination;
  /** Writes the backup `name` and reads it back, stopping where it is once `signal` aborts. */
  readonly backUp: (name: string, createdAt: Date, signal: AbortSignal) => Promise<BackupRunResult>;
  /** @default BACKUP_DEADLINE_MS */
  readonly deadlineMs?: number;
  readonly schedule: string;
  readonly keep: number;
  /** Slots before this are not caught up with when no backup has run yet (the process's start). */
  readonly since: Date;
  readonly logger: Logger;
}

/**
 * How long one backup may run. Past it the run is stopped and failed, so that a hung dump or
 * upload does not hold the run lock and the blob deletion lock (the sweeper waits) for ever.
 */
export const BACKUP_DEADLINE_MS = 6 * 3_600_000;

/** What one pass did. */
export type BackupPass =
  | { readonly kind: 'busy' | 'not-due' | 'claimed-elsewhere' }
  | { readonly kind: 'succeeded' | 'failed'; readonly id: number; readonly name: string };

export async function runDueBackup(deps: ScheduledBackupDeps, now: Date): Promise<BackupPass> {
  const pass = await deps.runs.whileNoOtherRun(async (held): Promise<BackupPass> => {
    await settleInterrupted(deps);
    const slot = latestSlot(deps.schedule, (await deps.runs.latestSlot()) ?? deps.since, now);
    if (slot === undefined) return { kind: 'not-due' };
    const name = backupNameAt(slot);
    const id = await deps.runs.claim(slot, name, deps.destination.description);
    if (id === undefined) return { kind: 'claimed-elsewhere' };
    if ((await deps.destination.backups()).some((backup) => backup.name === name)) {
      // Made before this database was restored from an older backup: not this run's to replace.
      await deps.runs.fail(
        id,
        `a backup named ${name} is in ${deps.destination.description} already; it is left as it is`,
      );
      return { kind: 'failed', id, name };
    }
    return backUpSlot(deps, id, name, now, held);
  });
  return pass === 'busy' ? { kind: 'busy' } : pass;
}

/** Runs left `running` by a stopped process: whole backups count, partial ones are failed and removed. */
async function settleInterrupted(deps: ScheduledBackupDeps): Promise<void> {
  const left = await deps.runs.interrupted();
  if (left.length === 0) return;
  const present = await deps.destination.backups();
  for (const run of left) {
    const here = run.destination === deps.destination.description;
    const whole = here && present.some((backup) => backup.name === run.name && backup.finished);
    await deps.runs.settleInterrupted(run.id, whole);
    if (here && !whole) await deps.destination.remove(run.name);
    deps.logger.warn({ backup: run.name, whole }, 'a backup was interrupted when its services process stopped');
  }
}

async function backUpSlot(
  deps: ScheduledBackupDeps,
  id: number,
  name: string,
  now: Date,
  held: () => Promise<boolean>,
): Promise<BackupPass> {
  const log = deps.logger.child({ backup: name, destination: deps.destination.description });
  log.info('scheduled backup started');
  const failed = async (reason: string, error?: unknown): Promise<BackupPass> => {
    log.error({ err: error, reason }, 'scheduled backup failed');
    await deps.runs.fail(id, reason);
    // Its files go now, so a failure costs no space; the last good backups stay as they are.
    await deps.destination
      .remove(name)
      .catch((cleanup: unknown) => log.warn({ err: cleanup }, 'could not remove the failed backup'));
    return { kind: 'failed', id, name };
  };
  const deadlineMs = deps.deadlineMs ?? BACKUP_DEADLINE_MS;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`the backup ran past its deadline of ${deadlineMs / 3_600_000} h and was stopped`)),
    deadlineMs,
  );
  let result: BackupRunResult;
  try {
    result = await deps.backUp(name, now, deadline.signal);
  } catch (error) {
    return failed(
      deadline.signal.aborted ? (deadline.signal.reason as Error).message : (error as Error).message,
      error,
    );
  } finally {
    clearTimeout(timer);
  }
  if (!result.verification.passed) return failed(`written, but reading it back failed: ${result.verification.detail}`);
  await deps.runs.succeed(id, result);
  log.info(
    { databaseBytes: result.databaseBytes, blobs: result.blobs, blobsAdded: result.blobsAdded },
    'scheduled backup written and read back',
  );
  if (!(await held())) {
    // Another process may be running a backup now; pruning is the next holder's.
    log.warn('lost the backup run lock (its database connection dropped); older backups are pruned next time');
    return { kind: 'succeeded', id, name };
  }
  try {
    const pruned = await pruneBackups(
      deps.destination,
      await deps.runs.removeBeyond(deps.destination.description, deps.keep),
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
