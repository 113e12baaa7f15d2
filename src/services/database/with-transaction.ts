/**
 * Runs work in one transaction on one pooled client: commit on success, roll back on any error.
 */
import type pg from 'pg';
import type { Database } from './create-pool.js';

export async function withTransaction<T>(db: Database, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
