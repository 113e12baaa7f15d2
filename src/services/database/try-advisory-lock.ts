/**
 * Work that one services process at a time may do, guarded by a PostgreSQL session-level advisory
 * lock on a connection of its own. The lock goes with the connection, so a process that dies
 * mid-work frees it at once, and whoever takes it next knows nobody is doing that work.
 */
import type { Database } from './create-pool.js';

/**
 * Runs `work` holding the lock `key`; resolves to 'busy' without running it while another session
 * holds it. `work` may ask `held` whether the lock is still this session's before a step that
 * only the holder may take: a dropped connection frees it for another process.
 */
export async function withTryAdvisoryLock<T>(
  db: Database,
  key: number,
  work: (held: () => Promise<boolean>) => Promise<T>,
): Promise<T | 'busy'> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [key]);
    if (!rows[0]!.held) return 'busy';
    const held = () =>
      client
        .query<{ held: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
             AND objid = $1 AND objsubid = 1 AND granted) AS held`,
          [key],
        )
        .then((result) => result.rows[0]!.held)
        .catch((error: unknown) => {
          broken = error as Error;
          return false;
        });
    try {
      return await work(held);
    } finally {
      if (!broken) await client.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    // A connection that failed is closed, not pooled.
    client.release(broken);
  }
}
