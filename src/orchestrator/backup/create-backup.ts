/**
 * `gyre backup create`: a consistent backup of a running services stack, over the Docker API of
 * its host. The app container opens one repeatable-read snapshot and names what it holds;
 * `pg_dump` in the database container dumps that same snapshot; the blobs the snapshot names are
 * read out of the app container by their content address, skipping those the folder already has;
 * the manifest, written last, records versions, row counts, and every file's size and SHA-256.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable, type Transform } from 'node:stream';
import type { DockerHostOptions, ExecRun } from '../../docker/index.js';
import { backupSnapshotSchema, type BackupSnapshotAnnouncement } from '../../protocol/backup-snapshot.js';
import { SERVICES_PROJECT_NAME } from '../../render/index.js';
import { formatByteSize } from '../../shared/byte-size.js';
import { GyreError, InvalidInputError, internal } from '../../shared/errors.js';
import { eachEntry } from '../../shared/tar-streams.js';
import { connectHost, type ConnectedHost } from '../hosts.js';
import { APP_CLI } from '../services/services-up.js';
import type { Task } from '../tasks.js';
import {
  backupNameAt,
  blobPath,
  DUMP_FILE,
  MANIFEST_FILE,
  manifestOf,
  SETTINGS_FILE,
  type Manifest,
  type ManifestFile,
} from '../../protocol/backup-manifest.js';
import { checksumMeter, checksumOf, writeChecksummed } from '../../shared/checksummed-files.js';
import { encryptedSize, encrypting, ENCRYPTION_FILE, setKey, type SetKey } from './passphrase-encryption.js';

/** Blobs read from the app container at once. */
const BLOB_COPIES = 4;
/** A progress line at most this often during a long copy. */
const PROGRESS_EVERY_MS = 1_000;

export interface BackupOptions {
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  /** The backup set's folder (or, given to `planArchiveBackup`, the `.tar` file to write). */
  readonly out: string;
  /** The install's settings without its secrets, kept beside the dump. */
  readonly settingsText: string;
  /** Encrypt every file with a key derived from this passphrase. */
  readonly passphrase?: string;
  readonly now?: () => Date;
}

export interface BackupResult {
  readonly backup: string;
  readonly host: string;
  readonly createdAt: string;
  readonly gyre: string;
  readonly schema: number;
  readonly databaseBytes: number;
  readonly blobs: {
    readonly total: number;
    readonly copied: number;
    readonly copiedBytes: number;
    readonly alreadyThere: number;
    readonly inBucket: number;
  };
}

export interface BackupPlan {
  readonly tasks: Task[];
  result(): BackupResult;
  /** Ends the snapshot if a task failed while it was open, and removes what is temporary; safe to call twice. */
  close(): Promise<void>;
}

export function planBackup(options: BackupOptions): BackupPlan {
  const setDir = resolve(options.out);
  const createdAt = (options.now ?? (() => new Date()))();
  const backupDir = join(setDir, backupNameAt(createdAt));
  let target: ConnectedHost | undefined;
  let app: string | undefined;
  let db: string | undefined;
  let holder: { run: ExecRun; exited: Promise<void>; snapshot: BackupSnapshotAnnouncement } | undefined;
  let databaseFile: ManifestFile | undefined;
  const blobFiles: ManifestFile[] = [];
  const blobCounts = { total: 0, copied: 0, copiedBytes: 0, alreadyThere: 0, inBucket: 0 };
  let manifest: Manifest | undefined;
  const connected = () => target ?? internal('the host was not checked');
  const snapshot = () => holder?.snapshot ?? internal('no snapshot is open');
  const relative = (name: string) => `${backupNameAt(createdAt)}/${name}`;
  let key: SetKey | undefined;
  /** What a file of the set passes through on its way to disk: encryption under its name, or nothing. */
  const sealing = (name: string): Transform[] => (key ? [encrypting(key, name)] : []);

  const tasks: Task[] = [
    {
      title: `Find the services stack on ${options.hostText ?? 'the local Docker host'}`,
      run: async () => {
        target = await connectHost(options.hostText, options.tls);
        const containers = target.docker.containers;
        app = await containers.serviceContainer(SERVICES_PROJECT_NAME, 'app');
        db = await containers.serviceContainer(SERVICES_PROJECT_NAME, 'db');
        if (app === undefined)
          throw new GyreError(
            `no running app container of the stack ${SERVICES_PROJECT_NAME} on ${target.description}: a backup is taken from a running install (start it with \`gyre up\`)`,
          );
        if (db === undefined)
          throw new GyreError(
            'the install uses an external database (GYRE_DATABASE_URL): back it up with its own tools; `gyre backup` dumps the bundled one',
          );
        key = keyForSet(setDir, options.passphrase);
        if (existsSync(backupDir)) throw new GyreError(`${backupDir} exists already; wait a second and run it again`);
        return `${target.description}: app ${app.slice(0, 12)}, db ${db.slice(0, 12)}`;
      },
    },
    {
      title: 'Open a snapshot of the database',
      run: async () => {
        holder = await openSnapshot(connected(), app!);
        const s = holder.snapshot;
        const rows = Object.values(s.tables).reduce((sum, n) => sum + n, 0);
        return `snapshot ${s.snapshot}: schema ${s.schema}, ${Object.keys(s.tables).length} tables, ${rows} rows, ${s.blobs.length} blobs named`;
      },
    },
    {
      title: 'Dump the database (pg_dump, custom format, in the snapshot)',
      run: async (onLine) => {
        const s = snapshot();
        const dump = await connected().docker.containers.exec(db!, [
          'pg_dump',
          '--format=custom',
          `--snapshot=${s.snapshot}`,
          '--username',
          s.database.user,
          '--dbname',
          s.database.name,
        ]);
        const progress = throttled(onLine);
        const sum = await writeChecksummed(dump.stdout, join(backupDir, DUMP_FILE), {
          onBytes: (bytes) => progress(`${formatByteSize(bytes)} dumped`),
          through: sealing(relative(DUMP_FILE)),
        });
        databaseFile = { path: relative(DUMP_FILE), ...sum };
        return `${formatByteSize(sum.size)} dumped (PostgreSQL ${s.postgres})`;
      },
    },
    {
      title: 'Copy the blobs the snapshot names',
      run: async (onLine) => {
        const s = snapshot();
        blobCounts.total = s.blobs.length;
        if (s.blobStore.kind === 's3') {
          blobCounts.inBucket = s.blobs.length;
          return `${s.blobs.length} blobs stay in s3://${s.blobStore.bucket}/${s.blobStore.prefix}: the manifest lists them, the bucket keeps them`;
        }
        const root = s.blobStore.root;
        const missing: typeof s.blobs = [];
        for (const blob of s.blobs) {
          const path = join(setDir, blobPath(blob.digest));
          const size = key ? encryptedSize(blob.size) : blob.size;
          if (!existsSync(path) || statSync(path).size !== size) {
            missing.push(blob);
            continue;
          }
          blobCounts.alreadyThere += 1;
          // A plain blob's checksum is its name; an encrypted one's is of its encrypted bytes,
          // read again (verify then checks the file against it).
          const sha256 = key ? (await checksumOf(path)).sha256 : blob.digest;
          blobFiles.push({ path: blobPath(blob.digest), size, sha256 });
        }
        const progress = throttled(onLine);
        await inParallel(missing, BLOB_COPIES, async (blob) => {
          const file = await copyBlob(
            connected(),
            app!,
            root,
            blob.digest,
            join(setDir, blobPath(blob.digest)),
            sealing,
          );
          blobFiles.push(file);
          blobCounts.copied += 1;
          blobCounts.copiedBytes += file.size;
          progress(`${blobCounts.copied}/${missing.length} blobs copied, ${formatByteSize(blobCounts.copiedBytes)}`);
        });
        return `${blobCounts.copied} blobs copied (${formatByteSize(blobCounts.copiedBytes)}), ${blobCounts.alreadyThere} already in ${setDir}`;
      },
    },
    {
      title: 'Write the settings and the manifest',
      run: async () => {
        const s = snapshot();
        await closeHolder();
        const settingsFile = await writeChecksummed(
          Readable.from([Buffer.from(options.settingsText, 'utf8')]),
          join(backupDir, SETTINGS_FILE),
          { through: sealing(relative(SETTINGS_FILE)) },
        );
        manifest = manifestOf(
          s,
          createdAt,
          [
            databaseFile ?? internal('the database was not dumped'),
            { path: relative(SETTINGS_FILE), ...settingsFile },
            ...blobFiles.sort((a, b) => a.path.localeCompare(b.path)),
          ],
          key !== undefined,
        );
        await mkdir(backupDir, { recursive: true, mode: 0o700 });
        await writeFile(join(backupDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
        return `${backupDir}: ${manifest.files.length} files`;
      },
    },
  ];

  async function closeHolder(): Promise<void> {
    if (!holder) return;
    holder.run.endStdin();
    await holder.exited;
  }

  return {
    tasks,
    close: () => {
      holder?.run.endStdin();
      return Promise.resolve();
    },
    result: () => {
      const m = manifest ?? internal('the backup did not finish');
      return {
        backup: backupDir,
        host: connected().description,
        createdAt: m.createdAt,
        gyre: m.gyre,
        schema: m.schema,
        databaseBytes: databaseFile?.size ?? 0,
        blobs: { ...blobCounts },
      };
    },
  };
}

/**
 * Runs `gyre backup snapshot` in the app container and reads its announcement. The command holds
 * the snapshot until its stdin ends; its exit afterwards says whether it closed cleanly. Every
 * failure here ends its stdin, so no snapshot stays open behind a failed backup.
 */
async function openSnapshot(
  target: ConnectedHost,
  app: string,
): Promise<{ run: ExecRun; exited: Promise<void>; snapshot: BackupSnapshotAnnouncement }> {
  const run = await target.docker.containers.exec(app, [...APP_CLI, 'backup', 'snapshot'], { holdStdin: true });
  const exited = new Promise<void>((resolve, reject) => {
    run.stdout.once('error', reject);
    run.stdout.once('end', resolve);
  });
  // Heard from the start, so that a failure before the announcement is not unhandled.
  exited.catch(() => undefined);
  try {
    const snapshot = await announcementOf(run.stdout);
    if (snapshot === undefined) {
      await exited; // a failed command's exit code and stderr say more than its silence
      throw new GyreError('`gyre backup snapshot` in the app container ended without naming its snapshot');
    }
    run.stdout.resume();
    return { run, exited, snapshot };
  } catch (error) {
    run.endStdin();
    throw error;
  }
}

/** The first line that is the announcement; other lines (a log line, a warning) are passed over. */
async function announcementOf(stdout: Readable): Promise<BackupSnapshotAnnouncement | undefined> {
  for await (const line of createInterface({ input: stdout })) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || !('snapshot' in value)) continue;
    const parsed = backupSnapshotSchema.safeParse(value);
    if (!parsed.success)
      throw new GyreError(
        `the app container's \`gyre backup snapshot\` answered what this gyre does not read (${parsed.error.issues[0]?.message}); run the same version of gyre as the install`,
      );
    return parsed.data;
  }
  return undefined;
}

/** Reads one blob out of the app container and checks that its bytes are what its name says. */
async function copyBlob(
  target: ConnectedHost,
  app: string,
  root: string,
  digest: string,
  path: string,
  sealing: (name: string) => Transform[],
): Promise<ManifestFile> {
  const tar = await target.docker.containers.getArchive(app, `${root}/${digest.slice(0, 2)}/${digest}`);
  let file: ManifestFile | undefined;
  await eachEntry(tar, async (header, body) => {
    if (header.type !== 'file') return;
    // The plain bytes must be what the name says before the file takes that name: a later backup
    // trusts a blob that is there.
    const plain = checksumMeter();
    const sum = await writeChecksummed(Readable.from(body), path, {
      through: [plain.stream, ...sealing(blobPath(digest))],
      check: () => {
        const { sha256 } = plain.result();
        if (sha256 !== digest)
          throw new GyreError(
            `blob ${digest} in the app container's ${root} holds other bytes (SHA-256 ${sha256}): the blob store is damaged there`,
          );
      },
    });
    file = { path: blobPath(digest), ...sum };
  });
  if (!file) throw new GyreError(`blob ${digest} is not a file in the app container's ${root}`);
  return file;
}

/**
 * The set's key when the backup is encrypted. A set is all encrypted or all plain, as its blobs
 * are shared: an encrypted backup's blob must not stand in for a plain one's, nor the other way.
 */
function keyForSet(setDir: string, passphrase: string | undefined): SetKey | undefined {
  const encrypted = existsSync(join(setDir, ENCRYPTION_FILE));
  const hasBackups = existsSync(setDir) && readdirSync(setDir).length > 0;
  if (passphrase === undefined) {
    if (encrypted)
      throw new InvalidInputError('gyre backup create', [
        {
          input: '--out',
          message: `${setDir} holds encrypted backups`,
          hint: 'pass --passphrase-file with their passphrase, or back up into another folder',
        },
      ]);
    return undefined;
  }
  if (!encrypted && hasBackups)
    throw new InvalidInputError('gyre backup create', [
      {
        input: '--out',
        message: `${setDir} holds backups that are not encrypted`,
        hint: 'back up with --passphrase-file into a new folder',
      },
    ]);
  mkdirSync(setDir, { recursive: true, mode: 0o700 });
  return setKey(setDir, passphrase, 'create');
}

async function inParallel<T>(items: readonly T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (next < items.length && !failed) await each(items[next++]!);
    } catch (error) {
      // The others stop at their next item: the backup has failed anyway.
      failed = true;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function throttled(onLine: (line: string) => void): (line: string) => void {
  let last = 0;
  return (line) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    onLine(line);
  };
}
