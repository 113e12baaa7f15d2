import type { Command } from 'commander';
import { withDatabase } from '../database-command.js';
import { createOutput } from '../output.js';

interface TokenOptions {
  readonly env?: string;
  readonly name: string;
  readonly json?: boolean;
}

export function registerTokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('Manage API tokens directly in the database (for the first token, or when locked out)');
  tokens
    .command('create')
    .description('Create an API token; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'what the token is for, e.g. "ci-bot"')
    .option('--env <file>', '.env file to read under the process environment')
    .option('--json', 'print {id, name, token} as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ docker compose -f compose/services.yml exec app gyre tokens create --name admin\n  $ curl -H "Authorization: Bearer gyre_pat_..." http://localhost/api/v1/projects',
    )
    .action(async (options: TokenOptions) => {
      const output = createOutput(options.json === true);
      const { createApiToken } = await import('../../services/stores/accounts/api-tokens.js');
      const { id, token } = await withDatabase(options, output, (db) => createApiToken(db, options.name));
      if (output.jsonMode) output.json({ id, name: options.name, token });
      output.info(`Created token ${id} (${options.name}). It is shown only now:\n${token}`);
    });
}
