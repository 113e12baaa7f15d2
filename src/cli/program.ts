/**
 * The `gyre` command line: one commander program, one module per command group.
 */
import { Command } from 'commander';
import { GYRE_VERSION } from '../shared/package-files.js';

type Register = (program: Command) => void;

/**
 * Each command group, by the top-level names it adds, in the order `--help` lists them. Loaded
 * only when asked for: `gyre agent` runs for as long as the builder does, and must not hold the
 * services app, the orchestrator and the renderer in memory (issue 21: agent RSS).
 */
const COMMAND_GROUPS: readonly { readonly names: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { names: ['init'], load: async () => (await import('./commands/init.js')).registerInitCommand },
  { names: ['up', 'down', 'status'], load: async () => (await import('./commands/stack.js')).registerStackCommands },
  { names: ['builder'], load: async () => (await import('./commands/builder.js')).registerBuilderCommands },
  {
    names: ['backup', 'restore', 'snapshot'],
    load: async () => (await import('./commands/backup.js')).registerBackupCommands,
  },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).registerDoctorCommand },
  { names: ['settings'], load: async () => (await import('./commands/settings.js')).registerSettingsCommand },
  { names: ['render'], load: async () => (await import('./commands/render.js')).registerRenderCommand },
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServeCommand },
  { names: ['agent'], load: async () => (await import('./commands/agent.js')).registerAgentCommand },
  { names: ['migrate'], load: async () => (await import('./commands/migrate.js')).registerMigrateCommand },
  { names: ['tokens'], load: async () => (await import('./commands/tokens.js')).registerTokensCommand },
  { names: ['accounts'], load: async () => (await import('./commands/accounts.js')).registerAccountsCommand },
  { names: ['images'], load: async () => (await import('./commands/images.js')).registerImagesCommand },
  { names: ['orbs'], load: async () => (await import('./commands/orbs.js')).registerOrbsCommand },
];

/** The command groups `args` (without node and the script) needs: the one it names, or all for help and mistakes. */
function groupsFor(args: readonly string[]): typeof COMMAND_GROUPS {
  const named = args[0];
  const group = COMMAND_GROUPS.find((g) => named !== undefined && g.names.includes(named));
  return group ? [group] : COMMAND_GROUPS;
}

/** The program for `argv` (as process.argv: node, the script, then the arguments). */
export async function createProgram(argv: readonly string[]): Promise<Command> {
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
  for (const register of await Promise.all(groupsFor(argv.slice(2)).map((g) => g.load()))) register(program);
  return program;
}
