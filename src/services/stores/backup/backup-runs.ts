/**
 * The runs of scheduled backups (table `backups`): each cron slot is claimed by inserting its row,
 * so it is backed up once however many services processes run the schedule, and the row then
 * records what the run wrote and what reading it back found.
 */
import type { Database } from '../../database/create-pool.js';
import { withTryAdvisoryLock } from '../../database/try-advisory-lock.js';

/** Arbitrary but fixed ("gybk" in ASCII), distinct from the migrations' and the blob deletion lock. */
const BACKUP_RUN_LOCK_KEY = 0x6779626b;

export type BackupRunState = 'running' | 'succeeded' | 'failed' | 'removed';

export interface BackupRun {
  readonly id: number;
  readonly slot: string;
  readonly name: string;
  readonly destination: string;
  readonly state: BackupRunState;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly gyre: string | null;
  readonly schema: number | null;
  readonly databaseBytes: number | null;
  readonly blobs: number | null;
  readonly blobsAdded: number | null;
  readonly blobBytesAdded: number | null;
  readonly verification: 'passed' | 'failed' | null;
  readonly verificationDetail: string | null;
  readonly error: string | null;
}

/** What a finished run wrote, and what reading it back found. */
export interface BackupRunResult {
  readonly gyre: string;
  readonly schema: number;
  readonly databaseBytes: number;
  readonly blobs: number;
  readonly blobsAdded: number;
  readonly blobBytesAdded: number;
  readonly verification: { readonly passed: boolean; readonly detail: string };
}

interface BackupRow {
  id: string;
  slot: Date;
  name: string;
  destination: string;
  state: BackupRunState;
  started_at: Date;
  finished_at: Date | null;
  gyre: string | null;
  schema_version: number | null;
  database_bytes: string | null;
  blobs: number | null;
  blobs_added: number | null;
  blob_bytes_added: string | null;
  verification: 'passed' | 'failed' | null;
  verification_detail: string | null;
  error: string | null;
}

const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

function runOf(row: BackupRow): BackupRun {
  return {
    id: Number(row.id),
    slot: row.slot.toISOString(),
    name: row.name,
    destination: row.destination,
    state: row.state,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    gyre: row.gyre,
    schema: row.schema_version,
    databaseBytes: numberOrNull(row.database_bytes),
    blobs: row.blobs,
    blobsAdded: row.blobs_added,
    blobBytesAdded: numberOrNull(row.blob_bytes_added),
    verification: row.verification,
    verificationDetail: row.verification_detail,
    error: row.error,
  };
}

export class BackupRuns {
  constructor(private readonly db: Database) {}

  /**
   * Runs `work` while no other process runs a backup; 'busy' otherwise. Whoever holds this lock
   * knows that a row still `running` belongs to a process that stopped mid-run. `held` says
   * whether the lock is still this process's (its connection may have dropped meanwhile).
   */
  whileNoOtherRun<T>(work: (held: () => Promise<boolean>) => Promise<T>): Promise<T | 'busy'> {
    return withTryAdvisoryLock(this.db, BACKUP_RUN_LOCK_KEY, work);
  }

  /** Runs left `running` by a process that stopped; ask only holding the run lock. */
  async interrupted(): Promise<{ id: number; name: string; destination: string }[]> {
    const { rows } = await this.db.query<{ id: string; name: string; destination: string }>(
      `SELECT id, name, destination FROM backups WHERE state = 'running' ORDER BY id`,
    );
    return rows.map((row) => ({ id: Number(row.id), name: row.name, destination: row.destination }));
  }

  /**
   * Settles an interrupted run: failed, or, when its backup is whole in its destination (the
   * snapshot a restored database was taken in names its own run), succeeded without a read-back.
   */
  async settleInterrupted(id: number, whole: boolean): Promise<void> {
    await this.db.query(
      whole
        ? `UPDATE backups SET state = 'succeeded', finished_at = coalesce(finished_at, now()),
             verification_detail = 'finished before its services process stopped; not read back'
           WHERE id = $1 AND state = 'running'`
        : `UPDATE backups SET state = 'failed', finished_at = now(),
             error = 'interrupted: the services process stopped during the backup'
           WHERE id = $1 AND state = 'running'`,
      [id],
    );
  }

  /** The latest slot claimed so far. */
  async latestSlot(): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ slot: Date | null }>('SELECT max(slot) AS slot FROM backups');
    return rows[0]!.slot ?? undefined;
  }

  /** Claims `slot`; undefined when another process claimed it first. */
  async claim(slot: Date, name: string, destination: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO backups (slot, name, destination) VALUES ($1, $2, $3)
       ON CONFLICT (slot) DO NOTHING RETURNING id`,
      [slot, name, destination],
    );
    return rows[0] === undefined ? undefined : Number(rows[0].id);
  }

  async succeed(id: number, result: BackupRunResult): Promise<void> {
    await this.db.query(
      `UPDATE backups SET state = 'succeeded', finished_at = now(), gyre = $2, schema_version = $3,
         database_bytes = $4, blobs = $5, blobs_added = $6, blob_bytes_added = $7,
         verification = $8, verification_detail = $9
       WHERE id = $1`,
      [
        id,
        result.gyre,
        result.schema,
        result.databaseBytes,
        result.blobs,
        result.blobsAdded,
        result.blobBytesAdded,
        result.verification.passed ? 'passed' : 'failed',
        result.verification.detail,
      ],
    );
  }

  async fail(id: number, error: string): Promise<void> {
    await this.db.query(`UPDATE backups SET state = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [
      id,
      error,
    ]);
  }

  /**
   * Marks the backups of `destination` past the `keep` newest that succeeded as removed; resolves
   * to the names of all it marks removed there, now or before, for the caller to remove.
   */
  async removeBeyond(destination: string, keep: number): Promise<string[]> {
    await this.db.query(
      `UPDATE backups SET state = 'removed'
       WHERE destination = $1 AND state = 'succeeded' AND id NOT IN (
         SELECT id FROM backups WHERE destination = $1 AND state = 'succeeded' ORDER BY slot DESC LIMIT $2)`,
      [destination, keep],
    );
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT name FROM backups WHERE destination = $1 AND state = 'removed'`,
      [destination],
    );
    return rows.map((row) => row.name);
  }

  /** The newest runs first. */
  async recent(limit: number): Promise<BackupRun[]> {
    const { rows } = await this.db.query<BackupRow>('SELECT * FROM backups ORDER BY slot DESC, id DESC LIMIT $1', [
      limit,
    ]);
    return rows.map(runOf);
  }
}
