/**
 * The advisory lock between backups and the deletion of blobs. A backup holds it shared from
 * before its snapshot until it has copied every blob the snapshot names; the retention sweeper
 * deletes blobs only while it holds it exclusively. So a blob a backup's dump names cannot vanish
 * before the backup has it, however long the copy takes, and the sweeper merely skips a pass.
 */
import type { Database } from '../../database/create-pool.js';

/** Arbitrary but fixed ("gybl" in ASCII), distinct from the migrations' lock. */
export const BLOB_DELETION_LOCK_KEY = 0x6779626c;

export interface BlobDeletionLock {
  /** Runs `deleting` holding the lock exclusively; resolves to 'busy' without running it while a backup holds it. */
  whileNoBackup<T>(deleting: () => Promise<T>): Promise<T | 'busy'>;
}

export class PostgresBlobDeletionLock implements BlobDeletionLock {
  constructor(private readonly db: Database) {}

  async whileNoBackup<T>(deleting: () => Promise<T>): Promise<T | 'busy'> {
    // A session lock on a client of its own: the deletions run outside any transaction.
    const client = await this.db.connect();
    try {
      const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [
        BLOB_DELETION_LOCK_KEY,
      ]);
      if (!rows[0]!.held) return 'busy';
      try {
        return await deleting();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [BLOB_DELETION_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }
}
