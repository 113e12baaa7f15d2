import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { generateSecrets, renderEnvFile } from '../../config/index.js';
import { GyreError, ExitCode } from '../../shared/errors.js';
import { createOutput } from '../output.js';

interface InitOptions {
  readonly env: string;
  readonly force?: boolean;
  readonly hostname?: string;
  readonly json?: boolean;
}

/** Writes a new `.env` with strong generated secrets, refusing to overwrite one without --force. */
export function initSettingsFile(options: InitOptions): { path: string; adminPassword: string } {
  const path = resolve(options.env);
  if (existsSync(path) && !options.force) {
    throw new GyreError(`${path} already exists; it holds this installation's secrets. Pass --force to replace it.`, ExitCode.invalidInput);
  }
  const secrets = generateSecrets(randomBytes);
  const values = { ...secrets, ...(options.hostname && { GYRE_HOSTNAME: options.hostname }) };
  // The file holds secrets: readable by its owner only.
  writeFileSync(path, renderEnvFile(values), { mode: 0o600 });
  return { path, adminPassword: secrets.GYRE_ADMIN_PASSWORD! };
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Write a .env with generated secrets (join secret, admin password, encryption key, session secret, database password)')
    .option('--env <file>', 'where to write the settings', '.env')
    .option('--hostname <name>', 'host name users and builders reach the services box at (GYRE_HOSTNAME)')
    .option('-f, --force', 'replace an existing file (its secrets are lost)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ gyre init\n  $ gyre init --hostname ci.example.com --env /etc/gyre/.env')
    .action((options: InitOptions) => {
      const output = createOutput(options.json === true);
      const result = initSettingsFile(options);
      if (output.jsonMode) output.json({ path: result.path });
      output.info(`Wrote ${result.path} (mode 600). Keep it safe: GYRE_ENCRYPTION_KEY is not part of backups.`);
      output.info('Next: `gyre images build --offline`, then `gyre render --out compose`.');
    });
}
