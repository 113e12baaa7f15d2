/**
 * The snapshot a backup is made of: one repeatable-read transaction whose snapshot is exported
 * for `pg_dump --snapshot`, and, read in that same snapshot, what the backup must hold besides the
 * dump: each table's row count (for verify) and every blob a row names (to copy). It holds the
 * blob deletion lock shared from before the snapshot until it is closed.
 */
import type { PoolClient } from 'pg';
import type { Database } from '../../database/create-pool.js';
import { BLOB_DELETION_LOCK_KEY } from './blob-deletion-lock.js';

export interface SnapshotContents {
  /** The id `pg_dump --snapshot` takes, valid while the snapshot is open. */
  readonly snapshot: string;
  /** The last migration applied. */
  readonly schema: number;
  /** `server_version` of the database. */
  readonly postgres: string;
  /** Rows per table of the public schema, by name. */
  readonly tables: Readonly<Record<string, number>>;
  /** Every blob a cache, workspace layer or artifact names, by digest. */
  readonly blobs: readonly { readonly digest: string; readonly size: number }[];
}

export interface BackupSnapshot {
  readonly contents: SnapshotContents;
  /** Ends the transaction and releases the lock; the exported snapshot is gone then. */
  close(): Promise<void>;
}

export async function openBackupSnapshot(db: Database): Promise<BackupSnapshot> {
  const client = await db.connect();
  try {
    // Before the snapshot: a sweeper deleting blobs now finishes first, so the snapshot cannot
    // name a blob that is gone.
    await client.query('SELECT pg_advisory_lock_shared($1)', [BLOB_DELETION_LOCK_KEY]);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const contents = await readContents(client);
    return {
      contents,
      close: async () => {
        try {
          await client.query('COMMIT');
          await client.query('SELECT pg_advisory_unlock_shared($1)', [BLOB_DELETION_LOCK_KEY]);
          client.release();
        } catch (error) {
          // A connection that may still hold the lock is closed, not pooled.
          client.release(error as Error);
          throw error;
        }
      },
    };
  } catch (error) {
    // Releasing with the error destroys the connection, which ends the transaction and the lock.
    client.release(error as Error);
    throw error;
  }
}

async function readContents(client: PoolClient): Promise<SnapshotContents> {
  const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
  const schema = (
    await client.query<{ id: number }>('SELECT coalesce(max(id), 0)::integer AS id FROM schema_migrations')
  ).rows[0]!.id;
  const postgres = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const names = (
    await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
  ).rows.map((row) => row.name);
  const tables: Record<string, number> = {};
  for (const name of names) {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    tables[name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${quoted}`)).rows[0]!.n);
  }
  const blobs = (
    await client.query<{ digest: string; size: string }>(
      `SELECT digest, max(size) AS size FROM (
         SELECT digest, size FROM caches
         UNION ALL SELECT digest, size FROM workspace_layers
         UNION ALL SELECT digest, size FROM artifacts) named
       GROUP BY digest ORDER BY digest`,
    )
  ).rows.map((row) => ({ digest: row.digest, size: Number(row.size) }));
  return { snapshot, schema, postgres, tables, blobs };
}
