/**
 * A real database health check: a round trip to PostgreSQL with a time limit.
 */
import { messageOf } from '../../../shared/errors.js';
import type { Database } from '../../database/create-pool.js';

export type DatabaseHealth =
  | { readonly state: 'up'; readonly latencyMs: number; readonly serverVersion: string }
  | { readonly state: 'down'; readonly error: string };

/** Asks PostgreSQL for its version; anything slower than `timeoutMs` counts as down. */
export async function checkDatabase(db: Database, timeoutMs: number): Promise<DatabaseHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([db.query<{ server_version: string }>('SHOW server_version'), timeout]);
    return {
      state: 'up',
      latencyMs: Math.round(performance.now() - started),
      serverVersion: result.rows[0]?.server_version ?? 'unknown',
    };
  } catch (error) {
    return { state: 'down', error: messageOf(error) };
  } finally {
    clearTimeout(timer);
  }
}
