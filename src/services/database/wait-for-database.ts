/**
 * Waits for PostgreSQL at start: the bundled database may still be initialising when the app
 * starts (Compose starts the app once the database container runs, not once it answers), and an
 * external one may be restarting. Each failed try is logged with its reason; past the deadline the
 * start fails with the last one. A refused password fails at once: waiting does not change it.
 */
import type { Logger } from 'pino';
import { InvalidInputError, messageOf, TimeoutError } from '../../shared/errors.js';
import type { Database } from './create-pool.js';

const RETRY_DELAY_MS = 1_000;
/** PostgreSQL's SQLSTATE for a wrong password (and for a user without a password). */
const INVALID_PASSWORD = '28P01';

/** Which setting holds the password: the bundled database's, or the external database's URL. */
export type PasswordSetting = 'GYRE_DB_PASSWORD' | 'GYRE_DATABASE_URL';

export async function waitForDatabase(
  db: Database,
  logger: Logger,
  timeoutMs: number,
  passwordSetting: PasswordSetting,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query('SELECT 1');
      if (attempt > 1) logger.info({ attempts: attempt }, 'the database answers');
      return;
    } catch (error) {
      const reason = messageOf(error);
      if ((error as { code?: unknown } | undefined)?.code === INVALID_PASSWORD)
        throw passwordRefused(passwordSetting, reason);
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

function passwordRefused(setting: PasswordSetting, reason: string): InvalidInputError {
  // The bundled PostgreSQL sets its password only when it creates its data folder, so a volume
  // kept from an earlier install keeps that install's password whatever `.env` says now.
  const hint =
    setting === 'GYRE_DB_PASSWORD'
      ? 'the bundled database keeps the password it was first started with in its data volume: set GYRE_DB_PASSWORD back to that one, or delete the old data with `gyre down --volumes` and run `gyre up` again'
      : "put the database user's password in GYRE_DATABASE_URL, percent-encoded";
  return new InvalidInputError('settings', [
    { input: setting, message: `is refused by the database (${reason})`, hint },
  ]);
}
