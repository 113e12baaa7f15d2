/**
 * Rendering the stacks to files: the Compose files and, beside them, the secret files they mount.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings, parseEnvFile, type Settings } from '../../config/index.js';
import { renderBuilderStack, renderServicesStack, SECRETS_DIR, type RenderedStack } from '../../render/index.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import { readStackTemplates } from './stack-templates.js';

/** Where a stack's notes go: warnings about secrets that are not set. */
export interface Warner {
  warn(line: string): void;
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
export function writeStacks(
  outDir: string,
  stacks: readonly RenderedStack[],
  output: Warner,
  warnMissingSecrets = true,
): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const stack of stacks) {
    const path = join(outDir, stack.fileName);
    writeFileSync(path, stack.text);
    written.push(path);
  }
  const secrets = new Map(
    stacks
      .flatMap((s) => s.secrets)
      .filter((s) => s.file.startsWith(`./${SECRETS_DIR}/`))
      .map((s) => [s.name, s]),
  );
  const secretsDir = join(outDir, SECRETS_DIR);
  for (const secret of secrets.values()) {
    if (secret.value === undefined) {
      if (warnMissingSecrets)
        output.warn(
          `${secret.setting} is not set, so ${secret.file} is not written; \`docker compose up\` needs it (run \`gyre init\`)`,
        );
      continue;
    }
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    chmodSync(secretsDir, 0o700);
    writeFileSync(join(outDir, secret.file), secret.value, { mode: 0o644 });
  }
  return written;
}
