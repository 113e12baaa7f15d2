/**
 * Work that one services process at a time may do, guarded by a PostgreSQL session-level advisory
 * lock on a connection of its own. The lock goes with the connection, so a process that dies
 * mid-work frees it at once, and whoever takes it next knows nobody is doing that work.
 */
import type { Database } from './create-pool.js';

/** Runs `work` holding the lock `key`; resolves to 'busy' without running it while another session holds it. */
export async function withTryAdvisoryLock<T>(db: Database, key: number, work: () => Promise<T>): Promise<T | 'busy'> {
  const client = await db.connect();
  try {
    const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [key]);
    if (!rows[0]!.held) return 'busy';
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    client.release();
  }
}
