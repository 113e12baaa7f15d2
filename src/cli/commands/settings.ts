import type { Command } from 'commander';
import { checkSettings, metaOf, renderSettingsTable, settingNames, type SettingsPurpose } from '../../config/index.js';
import { InvalidInputError } from '../../shared/errors.js';
import { createOutput } from '../output.js';
import { readSettingsSource } from '../settings-source.js';

interface SettingsOptions {
  readonly env?: string;
  readonly for: SettingsPurpose;
  readonly markdown?: boolean;
  readonly json?: boolean;
}

const PURPOSES: readonly SettingsPurpose[] = ['serve', 'agent', 'generate'];

export function registerSettingsCommand(program: Command): void {
  const settings = program
    .command('settings')
    .description('List every setting with its default and meaning')
    .option('--markdown', 'print the README settings table')
    .option('--json', 'print the settings schema as JSON')
    .action((options: SettingsOptions) => {
      const output = createOutput(options.json === true);
      if (options.markdown) return output.info(renderSettingsTable());
      const rows = settingNames.map((name) => ({ name, ...metaOf(name) }));
      if (output.jsonMode) return output.json(rows);
      for (const row of rows)
        output.info(
          `${row.name}${row.default === undefined ? '' : `=${row.default}`}${row.secret ? '  (secret, or ' + row.name + '_FILE)' : ''}\n    ${row.description}`,
        );
    });

  settings
    .command('check')
    .description('Validate a .env file and list every problem at once (exit code 2 when there are any)')
    .option('--env <file>', 'settings file', '.env')
    .option('--for <purpose>', `what the settings are for: ${PURPOSES.join(', ')}`, 'serve')
    .option('--json', 'print problems and warnings as JSON')
    .addHelpText('after', '\nExamples:\n  $ gyre settings check\n  $ gyre settings check --env builder.env --for agent')
    .action((_options: SettingsOptions, command: Command) => {
      // `settings` has a --json of its own, and commander gives a flag to the parent that knows it
      // first: `gyre settings check --json` lands there. Read both levels.
      const options = command.optsWithGlobals<SettingsOptions>();
      const output = createOutput(options.json === true);
      if (!PURPOSES.includes(options.for)) {
        throw new InvalidInputError('--for', [
          { input: '--for', message: `"${options.for}" is not a purpose`, hint: `use one of ${PURPOSES.join(', ')}` },
        ]);
      }
      const source = readSettingsSource({ env: options.env }, false);
      const check = checkSettings(source, options.for);
      if (output.jsonMode)
        output.json({ valid: check.settings !== undefined, problems: check.problems, warnings: check.warnings });
      else check.warnings.forEach((w) => output.warn(w));
      if (!check.settings) {
        if (output.jsonMode) process.exitCode = 2;
        else throw new InvalidInputError(source.name, check.problems);
        return;
      }
      output.info(`${source.name} is valid for ${options.for}.`);
    });
}
