/**
 * The `gyre` command line: one commander program, one module per command group.
 */
import { Command } from 'commander';
import { registerInitCommand } from './commands/init.js';
import { registerSettingsCommand } from './commands/settings.js';
import { registerRenderCommand } from './commands/render.js';
import { registerServeCommand } from './commands/serve.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerTokensCommand } from './commands/tokens.js';
import { registerAccountsCommand } from './commands/accounts.js';
import { registerImagesCommand } from './commands/images.js';
import { registerOrbsCommand } from './commands/orbs.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerStackCommands } from './commands/stack.js';
import { registerBuilderCommands } from './commands/builder.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { GYRE_VERSION } from '../shared/package-files.js';

export function createProgram(): Command {
  const program = new Command('gyre')
    .version(GYRE_VERSION)
    .description('Gyre: self-hosted CI. Generates and runs the services stack and builders on Docker hosts.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Getting started:
  $ gyre init                   write .env with generated secrets
  $ gyre up --with-builder      images, services stack and a local builder; prints where to log in
  $ gyre builder join --host ssh://ops@build-1 --services-url http://10.0.0.5
  $ gyre status

Exit codes: 0 ok, 1 failed, 2 invalid input, 3 a host or service unreachable, 4 timed out, 70 internal error.`,
    );
  registerInitCommand(program);
  registerStackCommands(program);
  registerBuilderCommands(program);
  registerBackupCommands(program);
  registerDoctorCommand(program);
  registerSettingsCommand(program);
  registerRenderCommand(program);
  registerServeCommand(program);
  registerAgentCommand(program);
  registerMigrateCommand(program);
  registerTokensCommand(program);
  registerAccountsCommand(program);
  registerImagesCommand(program);
  registerOrbsCommand(program);
  return program;
}
