/**
 * The services app's connection pool to PostgreSQL.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export type Database = pg.Pool;

/** Creates a pool that logs connection errors instead of crashing on an idle client's failure. */
export function createDatabasePool(url: string, logger: Logger): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 20,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  return pool;
}
