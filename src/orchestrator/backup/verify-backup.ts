/**
 * `gyre backup verify`: every file against the manifest's size and SHA-256, an S3 store's blobs
 * against its bucket, then the dump
 * restored into a scratch PostgreSQL whose row counts must equal the manifest's, then this Gyre's
 * migrations run on it. Each check's outcome is kept, so a failure says all that is wrong at once.
 */
import type { DockerHostOptions } from '../../docker/index.js';
import { GyreError, internal, messageOf } from '../../shared/errors.js';
import { createS3Client, type S3Connection } from '../../shared/s3-client.js';
import { parseJsonFrom } from '../../shared/parse-json.js';
import { connectHost, type ConnectedHost } from '../hosts.js';
import type { Task } from '../tasks.js';
import { DUMP_FILE } from '../../protocol/backup-manifest.js';
import { fileProblems, findBackup, type FoundBackup } from './backup-set.js';
import { backupSource } from './backup-source.js';
import { bucketProblems } from './bucket-blobs.js';
import { restoreBackupDump, rowCounts } from './database-restore.js';
import { setKey, type SetKey } from './passphrase-encryption.js';
import { removeLeftoverScratchDatabases, startScratchDatabase, type ScratchDatabase } from './scratch-database.js';

/** Problems of one check listed in its outcome; the count says how many there were in all. */
const LISTED_PROBLEMS = 20;

export interface VerifyOptions {
  /** A backup's folder, its set's, or a backup archive (`.tar`). */
  readonly path: string;
  /** Where the scratch database runs. */
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  readonly images: { readonly app: string; readonly db: string };
  /** Opens an encrypted backup, so that its database is checked too. */
  readonly passphrase?: string;
  /** How to reach S3 (the .env's GYRE_S3_*), to ask the bucket of an S3 blob store for its blobs. */
  readonly s3?: S3Connection;
}

export interface CheckOutcome {
  readonly check: 'files' | 'bucket' | 'database' | 'migrations';
  readonly ok: boolean;
  /** Not run: an encrypted backup without its passphrase. */
  readonly skipped?: boolean;
  readonly detail: string;
  readonly problems: readonly string[];
}

export interface VerifyResult {
  readonly backup: string;
  readonly ok: boolean;
  readonly checks: readonly CheckOutcome[];
}

export interface VerifyPlan {
  readonly tasks: Task[];
  result(): VerifyResult;
  /** Removes the scratch database and an archive's unpacked folder; safe to call twice. */
  close(): Promise<void>;
}

export function planVerify(options: VerifyOptions): VerifyPlan {
  const source = backupSource(options.path);
  let found: FoundBackup | undefined;
  let target: ConnectedHost | undefined;
  let scratch: ScratchDatabase | undefined;
  const checks: CheckOutcome[] = [];
  const backup = () => found ?? internal('the backup was not read');
  const dumpIntact = () => checks.find((c) => c.check === 'files')?.problems.every((p) => !p.startsWith(DUMP_FILE));
  const record = (outcome: CheckOutcome) => {
    checks.push(outcome);
    return outcome.ok ? outcome.detail : `FAILED: ${outcome.detail}${listed(outcome.problems)}`;
  };

  const tasks = source.tasks([
    {
      title: `Read the backup ${options.path}`,
      run: () => {
        found = findBackup(source.path);
        const m = found.manifest;
        return Promise.resolve(
          `${found.dir}: made ${m.createdAt} by Gyre ${m.gyre}, schema ${m.schema}, ${m.files.length} files`,
        );
      },
    },
    {
      title: "Check every file's size and SHA-256",
      run: async (onLine) => {
        const { manifest } = backup();
        const problems = await fileProblems(backup(), onLine);
        return record({
          check: 'files',
          ok: problems.length === 0,
          detail:
            problems.length === 0
              ? `${manifest.files.length} files match the manifest`
              : `${problems.length} of ${manifest.files.length} files do not match the manifest`,
          problems,
        });
      },
    },
    {
      title: 'Ask the bucket for the blobs the backup left there',
      run: async (onLine) => {
        const { manifest } = backup();
        const store = manifest.blobStore;
        if (store.kind !== 's3' || manifest.bucketBlobs === undefined) return 'none: the blobs are in the backup';
        const where = `s3://${store.bucket}${store.prefix ? `/${store.prefix}` : ''}`;
        if (options.s3 === undefined)
          return record({
            check: 'bucket',
            ok: true,
            skipped: true,
            detail: `skipped: ${manifest.bucketBlobs.length} blobs are in ${where}; set GYRE_S3_* in .env to have them checked`,
            problems: [],
          });
        const client = createS3Client({
          ...options.s3,
          ...(store.endpoint !== undefined && { endpoint: store.endpoint }),
        });
        let problems: string[];
        try {
          problems = await bucketProblems(client, { ...store, blobs: manifest.bucketBlobs }, onLine);
        } catch (error) {
          return record({
            check: 'bucket',
            ok: false,
            detail: `${where} does not answer`,
            problems: [messageOf(error)],
          });
        } finally {
          client.destroy();
        }
        return record({
          check: 'bucket',
          ok: problems.length === 0,
          detail:
            problems.length === 0
              ? `${where} holds all ${manifest.bucketBlobs.length} blobs the backup names`
              : `${problems.length} of ${manifest.bucketBlobs.length} blobs are not in ${where} as the backup names them`,
          problems,
        });
      },
    },
    {
      title: 'Restore the dump into a scratch PostgreSQL and count its rows',
      run: async (onLine) => {
        const { manifest, setDir } = backup();
        if (manifest.encrypted && options.passphrase === undefined)
          return record({
            check: 'database',
            ok: true,
            skipped: true,
            detail: 'skipped: the backup is encrypted; pass --passphrase-file to check its database too',
            problems: [],
          });
        const key: SetKey | undefined = manifest.encrypted ? setKey(setDir, options.passphrase!, 'open') : undefined;
        if (!dumpIntact())
          return record({ check: 'database', ok: false, detail: 'not tried: the dump is damaged', problems: [] });
        target = await connectHost(options.hostText, options.tls);
        for (const image of [options.images.db, options.images.app])
          if (!(await target.docker.inspectImage(image)))
            throw new GyreError(
              `${target.description} has no image ${image}, which verify runs the scratch database with: run \`gyre images build\``,
            );
        const leftovers = await removeLeftoverScratchDatabases(target.docker.containers);
        if (leftovers > 0)
          onLine(`removed ${leftovers} scratch database(s) that a killed verify left a day ago or more`);
        onLine(`starting ${options.images.db} on ${target.description}`);
        scratch = await startScratchDatabase(
          target.docker.containers,
          options.images.db,
          manifest.database,
          source.name(backup()),
        );
        onLine('restoring the dump');
        try {
          await restoreBackupDump(target.docker.containers, scratch.container, backup(), key);
        } catch (error) {
          return record({
            check: 'database',
            ok: false,
            detail: 'the dump does not restore',
            problems: [(error as Error).message],
          });
        }
        const counted = await rowCounts(
          target.docker.containers,
          scratch.container,
          manifest.database,
          Object.keys(manifest.tables),
        );
        const problems = Object.entries(manifest.tables)
          .filter(([table, rows]) => counted[table] !== rows)
          .map(([table, rows]) =>
            counted[table] === undefined
              ? `table ${table}: missing, the manifest says ${rows} rows`
              : `table ${table}: ${counted[table]} rows, the manifest says ${rows}`,
          );
        const rows = Object.values(counted).reduce((sum, n) => sum + n, 0);
        return record({
          check: 'database',
          ok: problems.length === 0,
          detail:
            problems.length === 0
              ? `restored: ${Object.keys(counted).length} tables, ${rows} rows, as the manifest says`
              : `restored, but ${problems.length} tables differ from the manifest`,
          problems,
        });
      },
    },
    {
      title: "Run this Gyre's migrations on the restored database",
      run: async () => {
        if (checks.find((c) => c.check === 'database')?.skipped)
          return record({
            check: 'migrations',
            ok: true,
            skipped: true,
            detail: 'skipped with the database',
            problems: [],
          });
        if (!scratch || !checks.find((c) => c.check === 'database')?.ok)
          return record({
            check: 'migrations',
            ok: false,
            detail: 'not tried: the database did not restore as the manifest says',
            problems: [],
          });
        const run = await scratch.migrate(options.images.app);
        if (run.exitCode !== 0)
          return record({
            check: 'migrations',
            ok: false,
            detail: `gyre migrate exited with ${run.exitCode}`,
            problems: `${run.stdout}${run.stderr}`.trim().split('\n').slice(-10),
          });
        const report = parseJsonFrom<{ current?: number; applied?: unknown[] }>(
          run.stdout,
          `\`gyre migrate --json\` of ${options.images.app}`,
        );
        return record({
          check: 'migrations',
          ok: true,
          detail: `schema ${backup().manifest.schema} → ${report.current ?? '?'} (${report.applied?.length ?? 0} applied)`,
          problems: [],
        });
      },
    },
  ]);

  return {
    tasks,
    result: () => ({
      backup: source.name(backup()),
      // Files, database and migrations are always checked (the bucket only for an S3 store's backup).
      ok:
        (['files', 'database', 'migrations'] as const).every((name) => checks.some((c) => c.check === name)) &&
        checks.every((c) => c.ok),
      checks: [...checks],
    }),
    close: async () => {
      const removing = scratch;
      scratch = undefined;
      try {
        await removing?.remove();
      } finally {
        await source.close();
      }
    },
  };
}

function listed(problems: readonly string[]): string {
  if (problems.length === 0) return '';
  const more = problems.length > LISTED_PROBLEMS ? `\n  … and ${problems.length - LISTED_PROBLEMS} more` : '';
  return `\n${problems
    .slice(0, LISTED_PROBLEMS)
    .map((p) => `  - ${p}`)
    .join('\n')}${more}`;
}
