import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkSettings, generateSecrets, renderEnvFile } from '../../config/index.js';
import { GyreError, ExitCode, InvalidInputError } from '../../shared/errors.js';
import { createOutput } from '../output.js';
import { makeSelfSignedTls, type TlsFiles } from '../self-signed-tls.js';

interface InitOptions {
  readonly env: string;
  readonly force?: boolean;
  readonly hostname?: string;
  readonly selfSignedTls?: boolean;
  readonly json?: boolean;
}

/**
 * Writes a new `.env` with strong generated secrets, refusing to overwrite one without --force;
 * with `selfSignedTls`, also a certificate for the host name in `tls/` beside it, which the
 * `.env` then names, so HTTPS is on.
 */
export function initSettingsFile(options: InitOptions): { path: string; adminPassword: string; tls?: TlsFiles } {
  const path = resolve(options.env);
  const secrets = generateSecrets(randomBytes);
  const hostname = options.hostname ?? 'localhost';
  const values = { ...secrets, ...(options.hostname !== undefined && { GYRE_HOSTNAME: options.hostname }) };
  checkHostname(values);
  if (!options.force && existsSync(path)) refuseExisting(path);
  const tls = options.selfSignedTls
    ? makeSelfSignedTls(join(dirname(path), 'tls'), hostname, options.force === true)
    : undefined;
  const tlsValues = tls && { GYRE_TLS_CERT_FILE: tls.certFile, GYRE_TLS_KEY_FILE: tls.keyFile };
  writeSecretsFile(path, renderEnvFile({ ...values, ...tlsValues }), options.force === true);
  return { path, adminPassword: secrets.GYRE_ADMIN_PASSWORD!, ...(tls && { tls }) };
}

function refuseExisting(path: string, cause?: unknown): never {
  throw new GyreError(
    `${path} already exists; it holds this installation's secrets. Pass --force to replace it.`,
    ExitCode.invalidInput,
    { cause },
  );
}

/** A bad --hostname would give a .env that fails every later command; refuse it before writing. */
function checkHostname(values: Readonly<Record<string, string | undefined>>): void {
  const problems = checkSettings({ name: 'gyre init', values, readFile: () => '' }, 'generate').problems.filter(
    (p) => p.input === 'GYRE_HOSTNAME',
  );
  if (problems.length > 0) {
    throw new InvalidInputError(
      '--hostname',
      problems.map((p) => ({ ...p, input: '--hostname', hint: 'for example --hostname ci.example.com' })),
    );
  }
}

function writeSecretsFile(path: string, text: string, force: boolean): void {
  try {
    // 'wx' refuses an existing file atomically; `mode` applies only when the file is created.
    writeFileSync(path, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
    // The file holds secrets: readable by its owner only, also when --force replaced a wider one.
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') refuseExisting(path, error);
    throw new GyreError(
      `cannot write ${path}: ${writeFailure(error)}. Pass --env with a path in a writable directory.`,
      ExitCode.invalidInput,
      { cause: error },
    );
  }
}

function writeFailure(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'its directory does not exist';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return message ?? String(error);
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'Write a .env with generated secrets (join secret, admin password, encryption key, session secret, database password)',
    )
    .option('--env <file>', 'where to write the settings', '.env')
    .option('--hostname <name>', 'host name users and builders reach the services box at (GYRE_HOSTNAME)')
    .option(
      '--self-signed-tls',
      'also make a self-signed certificate for the host name, localhost and 127.0.0.1 in tls/ beside the file, and turn HTTPS on with it (for evaluation installs; browsers warn about it)',
    )
    .option('-f, --force', 'replace an existing file (its secrets are lost), and an existing certificate')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gyre init\n  $ gyre init --hostname ci.example.com --env /etc/gyre/.env\n  $ gyre init --hostname ci.example.com --self-signed-tls   # HTTPS with tls/cert.pem, tls/key.pem\n\nExit codes: 0 written, 2 the file exists (without --force) or an option is invalid, 1 it could not be written.',
    )
    .action((options: InitOptions) => {
      const output = createOutput(options.json === true);
      const result = initSettingsFile(options);
      if (output.jsonMode) output.json({ path: result.path, ...(result.tls && { tls: result.tls }) });
      output.info(`Wrote ${result.path} (mode 600). Keep it safe: GYRE_ENCRYPTION_KEY is not part of backups.`);
      if (result.tls)
        output.info(
          `Wrote a self-signed certificate, ${result.tls.certFile}, and its key: HTTPS is on. Browsers will warn until they trust the certificate.`,
        );
      output.info('Next: `gyre images build --offline`, then `gyre render --out compose`.');
    });
}
