import type { Command } from 'commander';
import { databaseUrlOf } from '../../config/index.js';
import { InvalidInputError, UnavailableError } from '../../shared/errors.js';
import { createOutput } from '../output.js';
import { loadCommandSettings } from '../settings-source.js';

interface MigrateOptions {
  readonly env?: string;
  readonly json?: boolean;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (`gyre serve` also does this on start); safe to run twice or concurrently')
    .option('--env <file>', '.env file to read under the process environment')
    .option('--json', 'print the applied migrations as JSON')
    .addHelpText('after', '\nExamples:\n  $ docker compose -f compose/services.yml exec app gyre migrate\n  $ GYRE_DATABASE_URL=postgres://gyre:pw@db.internal/gyre gyre migrate --env .env')
    .action(async (options: MigrateOptions) => {
      const output = createOutput(options.json === true);
      const settings = loadCommandSettings({ env: options.env }, 'serve', output, true);
      const url = databaseUrlOf(settings);
      if (!url) throw new InvalidInputError('settings', [{ input: 'GYRE_DATABASE_URL', message: 'no database is configured', hint: 'set GYRE_DATABASE_URL, or GYRE_DB_PASSWORD for the bundled database' }]);
      const [{ createDatabasePool }, { migrateDatabase }, { createLogger }] = await Promise.all([
        import('../../services/database/create-pool.js'),
        import('../../services/database/migrate.js'),
        import('../../shared/create-logger.js'),
      ]);
      const logger = createLogger('migrate', output.jsonMode ? 'warn' : settings.logLevel);
      const db = createDatabasePool(url, logger);
      try {
        const report = await migrateDatabase(db, logger).catch((error: unknown) => {
          throw new UnavailableError(`could not migrate the database: ${(error as Error).message}`, { cause: error });
        });
        if (output.jsonMode) output.json(report);
        output.info(report.applied.length === 0 ? `Schema is current (version ${report.current}).` : `Applied ${report.applied.map((m) => `${m.id} ${m.name}`).join(', ')}; schema version ${report.current}.`);
      } finally {
        await db.end();
      }
    });
}
