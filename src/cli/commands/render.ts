import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSettings, parseEnvFile, type Settings } from '../../config/index.js';
import { renderBuilderStack, renderServicesStack, SECRETS_DIR, type RenderedStack } from '../../render/index.js';
import { checkComposeFile } from '../../docker/compose-check.js';
import { createOutput, type Output } from '../output.js';
import { readStackTemplates } from '../package-root.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import { loadCommandSettings } from '../settings-source.js';

interface RenderCommandOptions {
  readonly env?: string;
  readonly out: string;
  readonly defaults?: boolean;
  readonly composeCheck: boolean;
  readonly json?: boolean;
}

/** Renders both stacks for the given settings. */
export function renderStacks(settings: Settings): RenderedStack[] {
  const templates = readStackTemplates();
  const options = { version: GYRE_VERSION };
  return [renderServicesStack(settings, templates, options), renderBuilderStack(settings, templates, options)];
}

/** Settings with every default and no secrets: the render committed under compose/. */
export function defaultSettings(): Settings {
  return loadSettings({ name: 'defaults', values: parseEnvFile(''), readFile: () => '' }, 'generate');
}

/**
 * Writes rendered stacks and their secret files. The secrets folder is 700 so nobody else on
 * the host can reach it, while the files are 644 so the unprivileged user inside the app
 * container can read the bind-mounted copies.
 */
export function writeStacks(outDir: string, stacks: readonly RenderedStack[], output: Output, warnMissingSecrets = true): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const stack of stacks) {
    const path = join(outDir, stack.fileName);
    writeFileSync(path, stack.text);
    written.push(path);
  }
  const secrets = new Map(stacks.flatMap((s) => s.secrets).filter((s) => s.file.startsWith(`./${SECRETS_DIR}/`)).map((s) => [s.name, s]));
  const secretsDir = join(outDir, SECRETS_DIR);
  for (const secret of secrets.values()) {
    if (secret.value === undefined) {
      if (warnMissingSecrets) output.warn(`${secret.setting} is not set, so ${secret.file} is not written; \`docker compose up\` needs it (run \`gyre init\`)`);
      continue;
    }
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    chmodSync(secretsDir, 0o700);
    writeFileSync(join(outDir, secret.file), secret.value, { mode: 0o644 });
  }
  return written;
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
    .addHelpText('after', '\nExamples:\n  $ gyre render --out compose\n  $ gyre render --env /etc/gyre/.env --out /etc/gyre/compose\n  $ docker compose -f compose/services.yml up -d --wait')
    .action(async (options: RenderCommandOptions) => {
      const output = createOutput(options.json === true);
      const settings = options.defaults ? defaultSettings() : loadCommandSettings({ env: options.env }, 'generate', output);
      const outDir = resolve(options.out);
      const files = writeStacks(outDir, renderStacks(settings), output, !options.defaults);
      if (options.composeCheck) {
        for (const file of files) await checkComposeFile(file, output);
      }
      if (output.jsonMode) output.json({ files });
      files.forEach((file) => output.info(`wrote ${file}`));
    });
}
