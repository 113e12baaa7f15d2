import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkComposeFile } from '../../docker/compose-check.js';
import { createOutput } from '../output.js';
import { defaultSettings, renderStacks, writeStacks } from '../../orchestrator/stack/write-stacks.js';
import { loadCommandSettings } from '../settings-source.js';

interface RenderCommandOptions {
  readonly env?: string;
  readonly out: string;
  readonly defaults?: boolean;
  readonly composeCheck: boolean;
  readonly json?: boolean;
}

export function registerRenderCommand(program: Command): void {
  program
    .command('render')
    .description('Render the services and builder Compose stacks from .env')
    .option('--env <file>', 'settings file (default: ./.env)')
    .option('--out <dir>', 'output folder', 'compose')
    .option('--defaults', 'render the default settings, ignoring any .env (what compose/ in the repository holds)')
    .option('--no-compose-check', 'skip validating the output with `docker compose config -q`')
    .option('--json', 'print the written files as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gyre render --out compose\n  $ gyre render --env /etc/gyre/.env --out /etc/gyre/compose\n  $ docker compose -f compose/services.yml up -d --wait',
    )
    .action(async (options: RenderCommandOptions) => {
      const output = createOutput(options.json === true);
      const settings = options.defaults
        ? defaultSettings()
        : loadCommandSettings({ env: options.env }, 'generate', output);
      const outDir = resolve(options.out);
      const files = writeStacks(outDir, renderStacks(settings), output, !options.defaults);
      if (options.composeCheck) {
        for (const file of files) await checkComposeFile(file, output);
      }
      if (output.jsonMode) output.json({ files });
      files.forEach((file) => output.info(`wrote ${file}`));
    });
}
