import type { Command } from 'commander';
import { ExitCode, GyreError } from '../../shared/errors.js';

/**
 * `gyre healthcheck URL`: exits 0 when the URL answers 2xx. Used by Compose health checks,
 * because the images carry no curl or wget.
 */
export function registerHealthcheckCommand(program: Command): void {
  program
    .command('healthcheck')
    .argument('<url>', 'health endpoint to probe')
    .option('--timeout <ms>', 'give up after this many milliseconds', '4000')
    .description('Probe a health endpoint; exit 0 when it answers 2xx (for container health checks)')
    .action(async (url: string, options: { timeout: string }) => {
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(Number(options.timeout)) });
      } catch (error) {
        throw new GyreError(`${url} did not answer: ${(error as Error).message}`, ExitCode.unavailable, { cause: error });
      }
      const body = await response.text();
      if (!response.ok) throw new GyreError(`${url} answered ${response.status}: ${body.slice(0, 500)}`, ExitCode.unavailable);
      process.stdout.write(`${body}\n`);
    });
}
