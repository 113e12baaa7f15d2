/**
 * Waits for PostgreSQL at start: the bundled database may still be initialising when the app
 * starts (Compose starts the app once the database container runs, not once it answers), and an
 * external one may be restarting. Each failed try is logged with its reason; past the deadline the
 * start fails with the last one.
 */
import type { Logger } from 'pino';
import { messageOf, TimeoutError } from '../../shared/errors.js';
import type { Database } from './create-pool.js';

const RETRY_DELAY_MS = 1_000;

export async function waitForDatabase(db: Database, logger: Logger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query('SELECT 1');
      if (attempt > 1) logger.info({ attempts: attempt }, 'the database answers');
      return;
    } catch (error) {
      const reason = messageOf(error);
      if (Date.now() + RETRY_DELAY_MS > deadline)
        throw new TimeoutError(
          `the database to answer (last error: ${reason}); check GYRE_DATABASE_URL or the db service's log`,
          timeoutMs,
          { cause: error },
        );
      logger.info({ attempt, err: reason }, 'waiting for the database');
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}
