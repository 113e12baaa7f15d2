/**
 * `gyre backup create|verify` and `gyre restore`: the services box's data, out and back in, over
 * the Docker API of its host. `gyre backup snapshot` is the services box's side of `create`, run
 * in the app container.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderEnvFileWithoutSecrets, s3SettingsOf } from '../../config/index.js';
import { planBackup } from '../../orchestrator/backup/create-backup.js';
import { planArchiveBackup } from '../../orchestrator/backup/archive-backup.js';
import { isBackupArchive } from '../../orchestrator/backup/backup-archive.js';
import { planVerify } from '../../orchestrator/backup/verify-backup.js';
import { planRestore } from '../../orchestrator/backup/restore-backup.js';
import { ExitCode, InvalidInputError, messageOf } from '../../shared/errors.js';
import { KEY_CHECK_TEXT } from '../../protocol/backup-snapshot.js';
import { GYRE_VERSION } from '../../shared/package-files.js';
import { formatByteSize } from '../../shared/byte-size.js';
import { withDatabase } from '../database-command.js';
import {
  orchestratorSettings,
  stateFolderOf,
  tlsOf,
  withHostOptions,
  withStateFolderOptions,
  type HostFlags,
  type OrchestratorOptions,
} from '../orchestrator-options.js';
import { createOutput } from '../output.js';
import { loadCommandSettings, readSettingsSource } from '../settings-source.js';
import { runTasks } from '../task-runner.js';

interface BackupFlags extends HostFlags {
  readonly passphraseFile?: string;
  readonly env?: string;
  readonly json?: boolean;
}

export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('Back up the services box (database, blobs, settings) and verify backups');

  withHostOptions(withStateFolderOptions(backup.command('create')), 'of the services stack')
    .description('Back up a running install: one consistent snapshot of the database, its blobs and the settings')
    .requiredOption(
      '--out <dir|file.tar>',
      'the backup folder (each backup is a sub-folder, blobs are shared and copied once), or a new .tar file to hold this one backup',
    )
    .option(
      '--passphrase-file <file>',
      'encrypt every file with a key derived from the passphrase in this file (a whole folder shares one passphrase)',
    )
    .addHelpText(
      'after',
      `
Consistent while builds run: the database is dumped (pg_dump) in one snapshot, and exactly the
blobs that snapshot names are copied. A backup into a folder that holds earlier ones copies only
blobs it does not have. GYRE_ENCRYPTION_KEY is never in a backup: keep it somewhere else, as a
restore needs it.

With --out FILE.tar the backup is one file that holds what a folder with just this backup would.
It is made in a private folder beside FILE.tar and then packed, so that filesystem needs room for
it twice meanwhile. Every blob is copied every time (nothing is incremental), and a FILE.tar that
exists already is refused.

Examples:
  $ gyre backup create --out /backups/gyre
  $ gyre backup create --out /backups/gyre-$(date -u +%Y-%m-%d).tar --passphrase-file backup.pass
  $ gyre backup create --out /backups/gyre --host ssh://ops@ci.example.com --json | jq .backup
Exit codes: 0 written, 1 failed, 2 invalid flags, 3 the host is unreachable.`,
    )
    .action(async (options: BackupFlags & OrchestratorOptions & { out: string }) => {
      const output = createOutput(options.json === true);
      const passphrase = passphraseOf(options.passphraseFile, 'create');
      const plan = (isBackupArchive(options.out) ? planArchiveBackup : planBackup)({
        ...(passphrase !== undefined && { passphrase }),
        out: options.out,
        settingsText: settingsWithoutSecrets(options.env),
        ...(options.host && { hostText: options.host }),
        tls: tlsOf(options),
      });
      try {
        await runTasks(plan.tasks, output, (line) => line);
      } finally {
        await plan.close();
      }
      const result = plan.result();
      stateFolderOf(options).saveLastBackup({ backup: result.backup, createdAt: result.createdAt });
      if (output.jsonMode) return output.json(result);
      output.info(
        `Backed up to ${result.backup}: database ${formatByteSize(result.databaseBytes)} (schema ${result.schema}), ${result.blobs.total} blobs (${result.blobs.copied} copied now).\nCheck it with: gyre backup verify ${result.backup}`,
      );
    });

  withHostOptions(
    withStateFolderOptions(backup.command('verify')),
    'that runs the scratch database (default: this machine)',
  )
    .description(
      "Check a backup: every file's checksum, then a restore into a scratch PostgreSQL, its row counts and the migrations",
    )
    .argument(
      '<backup>',
      'a backup folder, the folder given to `backup create --out` (its newest backup), or a .tar file it wrote',
    )
    .option(
      '--passphrase-file <file>',
      'the passphrase of an encrypted backup: without it only the checksums are checked',
    )
    .addHelpText(
      'after',
      `
Checks, in order: each file's size and SHA-256 against the manifest; the dump restored into a
throwaway PostgreSQL container of the install's database image, whose tables must hold the rows
the manifest counted; and this Gyre's migrations run on it. The scratch container and its
network are removed afterwards. Needs no installation key and changes nothing.

A .tar file is first unpacked into a private folder under $TMPDIR (default /tmp), which needs room
for it and is removed afterwards. Only the files and folders of a backup are unpacked: a link, a
name outside the layout or leading out of it, or a file that is no tar is refused.

Examples:
  $ gyre backup verify /backups/gyre
  $ gyre backup verify /backups/gyre-2026-12-07.tar --passphrase-file backup.pass
  $ gyre backup verify /backups/gyre/2026-12-07T09-30-00Z --json | jq '.checks[] | select(.ok | not)'
Exit codes: 0 every check passed, 1 a check failed, 2 not a backup, 3 the Docker host is unreachable.`,
    )
    .action(async (path: string, options: BackupFlags & OrchestratorOptions) => {
      const output = createOutput(options.json === true);
      const settings = loadCommandSettings({ env: options.env }, 'generate', output, true);
      const passphrase = passphraseOf(options.passphraseFile, 'open');
      const plan = planVerify({
        ...(passphrase !== undefined && { passphrase }),
        path,
        images: { app: settings.images.app, db: settings.images.db },
        ...(s3SettingsOf(settings) && { s3: s3SettingsOf(settings) }),
        ...(options.host && { hostText: options.host }),
        tls: tlsOf(options),
      });
      try {
        await runTasks(plan.tasks, output, (line) => line);
      } finally {
        await plan.close();
      }
      const result = plan.result();
      if (!result.ok) process.exitCode = ExitCode.failure;
      const stateFolder = stateFolderOf(options);
      const last = stateFolder.lastBackup();
      // Verified means every check ran: an encrypted backup checked without its passphrase is not.
      const complete = result.checks.every((c) => c.skipped !== true);
      if (last?.backup === result.backup && (complete || !result.ok))
        stateFolder.saveLastBackup({ ...last, verified: result.ok, verifiedAt: new Date().toISOString() });
      if (output.jsonMode) return output.json(result);
      output.info(
        result.ok
          ? `${result.backup} is good: ${result.checks.map((c) => c.detail).join('; ')}.`
          : `${result.backup} FAILED verification: ${result.checks
              .filter((c) => !c.ok)
              .map((c) => `${c.check}: ${c.detail}`)
              .join('; ')}.`,
      );
    });

  withHostOptions(withStateFolderOptions(program.command('restore')), 'to restore onto')
    .description('Restore a backup onto a host without an install, then start the services stack as `gyre up` does')
    .argument(
      '<backup>',
      'a backup folder, the folder given to `backup create --out` (its newest backup), or a .tar file it wrote',
    )
    .option('--passphrase-file <file>', 'the passphrase of an encrypted backup')
    .option(
      '--force',
      "replace the database of an install that is on the host (its blobs stay; the backup's are added)",
    )
    .addHelpText(
      'after',
      `
Needs the install's GYRE_ENCRYPTION_KEY in .env: a wrong or missing key is refused before
anything is written, as is a backup whose files do not match its manifest, one made by a newer
Gyre, or a host that already has an install (unless --force). A backup made by an older Gyre is
migrated forward. A .tar file is unpacked into a private folder under $TMPDIR first, as by
\`gyre backup verify\`, and that folder is removed afterwards.

Afterwards:
  - jobs that were running when the backup was made are requeued (or end infrastructure_failed
    after their last retry) once their leases run out, as for a lost builder;
  - builders keep their names; point each at the new address and it registers again:
      gyre builder join --host <builder's host> --name <its name> --services-url <new URL>
  - webhooks GitHub sent after the backup are in each repository's webhook log (Settings,
    Webhooks, Recent Deliveries): redeliver them there or with GitHub's REST API.

Examples:
  $ gyre restore /backups/gyre --host ssh://ops@new-ci.example.com
  $ gyre restore /backups/gyre-2026-12-07.tar --host ssh://ops@new-ci.example.com
  $ gyre down --volumes --yes && gyre restore /backups/gyre/2026-12-07T09-30-00Z
Exit codes: 0 restored and up, 1 failed, 2 refused (the key, the backup or the host), 3 the host is unreachable.`,
    )
    .action(async (path: string, options: OrchestratorOptions & BackupFlags & { force?: boolean }) => {
      const output = createOutput(options.json === true);
      const settings = orchestratorSettings(options, output);
      // The services box's own rules, which the orchestrator does not import: its migrations and
      // its secret box.
      const [{ LATEST_SCHEMA }, { createSecretBox }] = await Promise.all([
        import('../../services/database/migrations/index.js'),
        import('../../services/core/security/secret-box.js'),
      ]);
      const passphrase = passphraseOf(options.passphraseFile, 'open');
      const plan = planRestore({
        ...(passphrase !== undefined && { passphrase }),
        knownSchema: LATEST_SCHEMA,
        keyOpens: (key, keyCheck) => {
          try {
            return createSecretBox(key).open(Buffer.from(keyCheck, 'base64')) === KEY_CHECK_TEXT;
          } catch {
            return false;
          }
        },
        path,
        settings,
        stateFolder: stateFolderOf(options),
        ...(options.host && { hostText: options.host }),
        tls: tlsOf(options),
        force: options.force === true,
      });
      try {
        await runTasks(plan.tasks, output, (line) => line);
      } finally {
        await plan.close();
      }
      const result = plan.result();
      if (output.jsonMode) return output.json(result);
      output.info(`
Restored ${result.backup} (made ${result.createdAt}, schema ${result.schema}, ${result.blobs} blobs) on ${result.host}.
  Web UI:         ${result.uiUrl}
  Admin console:  ${result.adminUrl}
  API:            ${result.apiUrl}
Next: point each builder at this address (\`gyre builder join --host <its host> --name <its name> --services-url <URL>\`),
and redeliver from GitHub the webhooks sent after ${result.createdAt}.`);
    });

  backup
    .command('snapshot', { hidden: true })
    .description(
      'In the app container: open a snapshot for a backup, print what it holds as one JSON line, and hold it until stdin ends',
    )
    .option('--env <file>', '.env file to read under the process environment')
    .action(async (options: { env?: string }) => {
      const output = createOutput(true);
      const { holdBackupSnapshot } = await import('../../services/features/backup/hold-snapshot.js');
      const released = new Promise<void>((resolve) => {
        process.stdin.on('end', resolve);
        process.stdin.on('close', resolve);
        process.stdin.resume();
      });
      await withDatabase(options, output, (db, _logger, settings) =>
        holdBackupSnapshot(db, settings, GYRE_VERSION, (line) => process.stdout.write(`${line}\n`), released),
      );
    });
}

/** The `.env` of this install without the values the schema marks secret. */
function settingsWithoutSecrets(env: string | undefined): string {
  return renderEnvFileWithoutSecrets(readSettingsSource({ ...(env !== undefined && { env }) }, false).values);
}

/** The shortest passphrase a new encrypted backup takes. */
const MIN_PASSPHRASE = 12;

/** The passphrase in `--passphrase-file`, without the file's final line break. */
function passphraseOf(file: string | undefined, use: 'create' | 'open'): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new InvalidInputError('--passphrase-file', [
      {
        input: file,
        message: `cannot be read: ${messageOf(error)}`,
        hint: 'pass a readable file that holds the passphrase',
      },
    ]);
  }
  if (text === '' || (use === 'create' && text.length < MIN_PASSPHRASE))
    throw new InvalidInputError('--passphrase-file', [
      {
        input: file,
        message:
          text === ''
            ? 'is empty'
            : `holds ${text.length} characters; a backup's passphrase needs ${MIN_PASSPHRASE} or more`,
        hint: 'put a long passphrase in it, e.g. `openssl rand -base64 24 > backup.pass`',
      },
    ]);
  return text;
}
