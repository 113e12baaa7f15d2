import type { Command } from 'commander';
import { UnavailableError } from '../../shared/errors.js';
import { withDatabase } from '../database-command.js';
import { createOutput } from '../output.js';

interface MigrateOptions {
  readonly env?: string;
  readonly json?: boolean;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      'Apply pending database migrations (`gyre serve` also does this on start); safe to run twice or concurrently',
    )
    .option('--env <file>', '.env file to read under the process environment')
    .option('--json', 'print the applied migrations as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ docker compose -f compose/services.yml exec app gyre migrate\n  $ GYRE_DATABASE_URL=postgres://gyre:pw@db.internal/gyre gyre migrate --env .env',
    )
    .action(async (options: MigrateOptions) => {
      const output = createOutput(options.json === true);
      const { migrateDatabase } = await import('../../services/database/migrate.js');
      const report = await withDatabase(options, output, (db, logger) =>
        migrateDatabase(db, logger).catch((error: unknown) => {
          throw new UnavailableError(`could not migrate the database: ${(error as Error).message}`, { cause: error });
        }),
      );
      if (output.jsonMode) output.json(report);
      output.info(
        report.applied.length === 0
          ? `Schema is current (version ${report.current}).`
          : `Applied ${report.applied.map((m) => `${m.id} ${m.name}`).join(', ')}; schema version ${report.current}.`,
      );
    });
}
