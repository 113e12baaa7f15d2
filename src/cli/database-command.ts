/**
 * Shared set-up of commands that talk to the services database directly (`migrate`, `tokens`),
 * typically run inside the app container: settings from the environment, a pool, and clean-up.
 */
import { databaseUrlOf, type Settings } from '../config/index.js';
import type { Database } from '../services/database/create-pool.js';
import { InvalidInputError } from '../shared/errors.js';
import type { Output } from './output.js';
import { loadCommandSettings } from './settings-source.js';
import type { Logger } from 'pino';

export async function withDatabase<T>(
  options: { env?: string },
  output: Output,
  use: (db: Database, logger: Logger, settings: Settings) => Promise<T>,
): Promise<T> {
  const settings = loadCommandSettings({ env: options.env }, 'serve', output, true);
  const url = databaseUrlOf(settings);
  if (!url)
    throw new InvalidInputError('settings', [
      {
        input: 'GYRE_DATABASE_URL',
        message: 'no database is configured',
        hint: 'set GYRE_DATABASE_URL, or GYRE_DB_PASSWORD for the bundled database',
      },
    ]);
  // Loaded here so that commands which never touch the database start without pg.
  const [{ createDatabasePool }, { createLogger }] = await Promise.all([
    import('../services/database/create-pool.js'),
    import('../shared/create-logger.js'),
  ]);
  const logger = createLogger('cli', output.jsonMode ? 'warn' : settings.logLevel);
  const db = createDatabasePool(url, logger);
  try {
    return await use(db, logger, settings);
  } finally {
    await db.end();
  }
}
