import type { Command } from 'commander';
import { createOutput } from '../output.js';
import { loadCommandSettings } from '../settings-source.js';
import { GYRE_VERSION } from '../../shared/package-files.js';

interface ServeOptions {
  readonly env?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the services app: web UI, API, webhooks, builder protocol and the admin console (used inside the app container)',
    )
    .option('--env <file>', '.env file to read under the process environment')
    .addHelpText(
      'after',
      '\nSettings come from the environment (GYRE_*, and GYRE_*_FILE for secrets).\n\nExample:\n  $ GYRE_DATABASE_URL=postgres://gyre:pw@localhost/gyre gyre serve --env .env',
    )
    .action(async (options: ServeOptions) => {
      const settings = loadCommandSettings({ env: options.env }, 'serve', createOutput(false, process.stderr), true);
      // Loaded here so that other commands, health checks above all, start without fastify and pg.
      const [{ startServices }, { createLogger }] = await Promise.all([
        import('../../services/start-services.js'),
        import('../../shared/create-logger.js'),
      ]);
      const logger = createLogger('serve', settings.logLevel);
      const services = await startServices(settings, logger, { version: GYRE_VERSION });
      await waitForStopSignal();
      logger.info('stopping: finishing in-flight requests');
      await services.close();
      logger.info('stopped');
    });
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.once('SIGTERM', () => process.exit(143));
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
