/**
 * The advisory lock between backups and the deletion of blobs. A backup holds it shared from
 * before its snapshot until it has copied every blob the snapshot names; the retention sweeper
 * deletes blobs only while it holds it exclusively. So a blob a backup's dump names cannot vanish
 * before the backup has it, however long the copy takes, and the sweeper merely skips a pass.
 */
import type { Database } from '../../database/create-pool.js';
import { withTryAdvisoryLock } from '../../database/try-advisory-lock.js';

/** Arbitrary but fixed ("gybl" in ASCII), distinct from the migrations' lock. */
export const BLOB_DELETION_LOCK_KEY = 0x6779626c;

export interface BlobDeletionLock {
  /** Runs `deleting` holding the lock exclusively; resolves to 'busy' without running it while a backup holds it. */
  whileNoBackup<T>(deleting: () => Promise<T>): Promise<T | 'busy'>;
}

export class PostgresBlobDeletionLock implements BlobDeletionLock {
  constructor(private readonly db: Database) {}

  whileNoBackup<T>(deleting: () => Promise<T>): Promise<T | 'busy'> {
    // A session lock: the deletions run outside any transaction.
    return withTryAdvisoryLock(this.db, BLOB_DELETION_LOCK_KEY, deleting);
  }
}
