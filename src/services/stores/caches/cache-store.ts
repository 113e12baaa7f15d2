/**
 * Each project's caches (`save_cache` / `restore_cache`), in `caches`: a key names a blob, and a
 * key once saved never changes, as on CircleCI, so a cache is rebuilt by changing its key (a
 * checksum, a version prefix). Lookups follow CircleCI: key by key, an exact match, else the
 * newest cache whose key starts with that key. A project never sees another project's caches,
 * and a build sees only its partition of them (src/services/core/access/fork-caches.ts).
 */
import type { Database } from '../../database/create-pool.js';
import type { StoredBlob } from '../../blobs/blob-store.js';
import type { CacheUse } from '../../core/retention/retention-choices.js';

/** The caches a build may use: its project's, in its partition. */
export interface CacheScope {
  readonly projectId: number;
  readonly partition: string;
}

/** A cache as a restore finds it. */
export interface FoundCache extends StoredBlob {
  /** The key it was saved under (the prefix asked for may be shorter). */
  readonly key: string;
}

/** A cache the retention sweeper removed. */
export interface RemovedCache extends FoundCache {
  readonly projectId: number;
}

interface RemovedRow extends CacheRow {
  project_id: string;
}

const toRemoved = (row: RemovedRow): RemovedCache => ({
  projectId: Number(row.project_id),
  key: row.key,
  digest: row.digest,
  size: Number(row.size),
});

interface CacheRow {
  key: string;
  digest: string;
  size: string;
}

/** `key` as a LIKE pattern matching every key that starts with it. */
function prefixPattern(key: string): string {
  return `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class CacheStore {
  constructor(private readonly db: Database) {}

  /**
   * The cache a restore with `keys` gets: for each key in order, the cache saved under exactly
   * that key, else the newest one whose key starts with it; the first key that finds one wins.
   * Marks the cache used now, which keeps it from eviction by size the longest.
   */
  async find(scope: CacheScope, keys: readonly string[]): Promise<FoundCache | undefined> {
    for (const key of keys) {
      const result = await this.db.query<CacheRow>(
        `UPDATE caches SET last_used_at = now()
         WHERE id = (SELECT id FROM caches WHERE project_id = $1 AND partition = $2 AND key LIKE $3
                     ORDER BY key = $4 DESC, created_at DESC, id DESC LIMIT 1)
         RETURNING key, digest, size`,
        [scope.projectId, scope.partition, prefixPattern(key), key],
      );
      const row = result.rows[0];
      if (row) return { key: row.key, digest: row.digest, size: Number(row.size) };
    }
    return undefined;
  }

  /**
   * Saves `blob` under `key` unless the key is taken: 'exists' then, and the cache stays as it
   * was. Of two saves of one key at once, exactly one is 'saved'.
   */
  async save(scope: CacheScope, key: string, blob: StoredBlob): Promise<'saved' | 'exists'> {
    const result = await this.db.query(
      `INSERT INTO caches (project_id, partition, key, digest, size) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project_id, partition, key) DO NOTHING`,
      [scope.projectId, scope.partition, key, blob.digest, blob.size],
    );
    return result.rowCount === 1 ? 'saved' : 'exists';
  }

  /** Removes the caches saved before `cutoff`; answers which. */
  async removeSavedBefore(cutoff: Date): Promise<RemovedCache[]> {
    const result = await this.db.query<RemovedRow>(
      'DELETE FROM caches WHERE created_at < $1 RETURNING project_id, key, digest, size',
      [cutoff],
    );
    return result.rows.map(toRemoved);
  }

  /** Every cache's size and last use, and the database's time of reading them. */
  async usage(): Promise<{ readAt: Date; caches: CacheUse[] }> {
    const result = await this.db.query<{ id: string; size: string; last_used_at: Date; read_at: Date }>(
      'SELECT id, size, last_used_at, now() AS read_at FROM caches',
    );
    return {
      readAt: result.rows[0]?.read_at ?? new Date(),
      caches: result.rows.map((row) => ({ id: Number(row.id), size: Number(row.size), lastUsedAt: row.last_used_at })),
    };
  }

  /** Removes the caches `ids`, except those restored since `readAt` (they are in use again); answers which went. */
  async evict(ids: readonly number[], readAt: Date): Promise<RemovedCache[]> {
    if (ids.length === 0) return [];
    const result = await this.db.query<RemovedRow>(
      'DELETE FROM caches WHERE id = ANY($1::bigint[]) AND last_used_at <= $2 RETURNING project_id, key, digest, size',
      [ids, readAt],
    );
    return result.rows.map(toRemoved);
  }

  /** Which of `digests` a cache names. */
  async named(digests: readonly string[]): Promise<Set<string>> {
    const result = await this.db.query<{ digest: string }>(
      'SELECT DISTINCT digest FROM caches WHERE digest = ANY($1::text[])',
      [digests],
    );
    return new Set(result.rows.map((row) => row.digest));
  }
}
