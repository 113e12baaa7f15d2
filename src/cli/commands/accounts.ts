/**
 * `gyre accounts create`: an account made directly in the database, typically inside the app
 * container. It is how a new install gets its first administrator of the web UI (sign-up is
 * closed by default, and accounts people make themselves are never administrators).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withDatabase } from '../database-command.js';
import { createOutput } from '../output.js';

interface AccountOptions {
  readonly env?: string;
  readonly login: string;
  readonly admin?: boolean;
  readonly passwordStdin?: boolean;
  readonly json?: boolean;
}

/** Who the audit log names for accounts made here. */
const ACTOR = 'cli:gyre accounts create';

export function registerAccountsCommand(program: Command): void {
  const accounts = program
    .command('accounts')
    .description("Manage the web UI's accounts directly in the database (the first administrator, or when locked out)");
  accounts
    .command('create')
    .description('Create a local account; without --password-stdin a password is generated and printed once')
    .requiredOption('--login <login>', '1-39 letters, digits, dots, dashes or underscores, e.g. "ada"')
    .option('--admin', 'make it an administrator: it may then do everything, in the web UI and the admin console')
    .option('--password-stdin', 'read the password (at least 10 characters) from standard input')
    .option('--env <file>', '.env file to read under the process environment')
    .option('--json', 'print {id, login, admin, password} as JSON (password only when generated)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  # the first administrator of a new install, on the services box:',
        '  $ docker compose -f compose/services.yml exec app gyre accounts create --login ada --admin',
        '  # a password chosen elsewhere:',
        '  $ printf %s "$PASSWORD" | docker compose -f compose/services.yml exec -T app gyre accounts create --login bob --password-stdin',
        '',
        'Exit codes: 0 created, 2 bad input (every problem is listed), 1 other failures.',
      ].join('\n'),
    )
    .action(async (options: AccountOptions) => {
      const output = createOutput(options.json === true);
      const generated = options.passwordStdin ? undefined : randomBytes(15).toString('base64url');
      const password = generated ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      const { UserStore } = await import('../../services/stores/accounts/user-store.js');
      const user = await withDatabase(options, output, (db) =>
        new UserStore(db).createLocal(options.login, password, {
          by: 'admin',
          admin: options.admin === true,
          actor: ACTOR,
        }),
      );
      if (output.jsonMode)
        output.json({ id: user.id, login: user.login, admin: user.isAdmin, ...(generated && { password: generated }) });
      output.info(`Created account ${user.login}${user.isAdmin ? ', an administrator' : ''}.`);
      if (generated) output.info(`Its password is shown only now:\n${generated}`);
    });
}
