/**
 * `gyre restore`: a backup onto a host that has no install (a new one, or the old one after
 * `gyre down --volumes`). Everything that can refuse does so before anything is written: the
 * files' checksums, the installation key against the backup's key check, the schema against this
 * Gyre's migrations, and a database already on the host. Then, as `gyre up` does, the stack is
 * rendered, the database starts alone and takes the dump, the blobs go into the data volume
 * before the app first starts, and the app migrates forward.
 */
import { createReadStream, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { extract, pack, type Pack } from 'tar-stream';
import { BUNDLED_DATABASE, type Settings } from '../../config/index.js';
import type { ContainerClient, DockerHostOptions } from '../../docker/index.js';
import { SERVICES_PROJECT_NAME } from '../../render/index.js';
import { formatByteSize } from '../../shared/byte-size.js';
import { InvalidInputError, internal } from '../../shared/errors.js';
import { nodeStream } from '../../shared/tar-streams.js';
import { connectHost } from '../hosts.js';
import { planServicesUp, type ServicesUp, type UpResult } from '../services/services-up.js';
import type { StateFolder } from '../state-folder.js';
import type { Task } from '../tasks.js';
import { BLOBS_DIR, DUMP_FILE } from '../../protocol/backup-manifest.js';
import { fileProblems, findBackup, type FoundBackup } from './backup-set.js';
import { backupSource } from './backup-source.js';
import { psql, restoreBackupDump } from './database-restore.js';
import { decrypting, plainSize, setKey, type SetKey } from './passphrase-encryption.js';

export interface RestoreOptions {
  /** A backup's folder, its set's, or a backup archive (`.tar`). */
  readonly path: string;
  readonly settings: Settings;
  readonly stateFolder: StateFolder;
  readonly hostText?: string;
  readonly tls?: DockerHostOptions;
  /** Replace the database of an install that is there. */
  readonly force?: boolean;
  /** Opens an encrypted backup. */
  readonly passphrase?: string;
  /** The last migration this Gyre has: a backup past it was made by a newer Gyre. */
  readonly knownSchema: number;
  /** Whether the installation key opens a backup's key check (the services box's secret box knows how). */
  readonly keyOpens: (key: string, keyCheck: string) => boolean;
}

export interface RestoreResult extends UpResult {
  readonly backup: string;
  readonly createdAt: string;
  readonly schema: number;
  readonly blobs: number;
}

export interface RestorePlan {
  readonly tasks: Task[];
  result(): RestoreResult;
  /** Removes an archive's unpacked folder; safe to call twice. */
  close(): Promise<void>;
}

export function planRestore(options: RestoreOptions): RestorePlan {
  const { settings } = options;
  const source = backupSource(options.path);
  let found: FoundBackup | undefined;
  let replacing = false;
  let key: SetKey | undefined;
  const backup = () => found ?? internal('the backup was not checked');
  const dbVolume = `${SERVICES_PROJECT_NAME}_gyre-db`;

  const check: Task = {
    title: `Check the backup ${options.path} and the host`,
    run: async (onLine) => {
      found = findBackup(source.path);
      const { manifest } = found;
      refuseWhatCannotWork(found, options);
      if (manifest.encrypted) key = setKey(found.setDir, options.passphrase!, 'open');
      // The cheap checks first: the host and what is on it, before every file is read.
      const target = await connectHost(options.hostText, options.tls);
      replacing = await target.docker.containers.volumeExists(dbVolume);
      if (replacing && options.force !== true)
        throw new InvalidInputError('gyre restore', [
          {
            input: '--host',
            message: `${target.description} has the database volume ${dbVolume} of an install; restoring would replace its data`,
            hint: 'restore onto a new host, or run `gyre down --volumes` there first, or pass --force to replace it',
          },
        ]);
      const problems = await fileProblems(found, onLine);
      if (problems.length > 0)
        throw new InvalidInputError(
          'gyre restore',
          problems.slice(0, 20).map((problem) => ({
            input: `${found!.setDir}/${problem.split(':')[0]}`,
            message: `does not match the manifest (${problem.slice(problem.indexOf(':') + 2)}), so nothing was restored`,
            hint: 'run `gyre backup verify` on the backup, and restore another one',
          })),
        );
      return `${found.dir}: Gyre ${manifest.gyre}, schema ${manifest.schema}, made ${manifest.createdAt}; the key opens it; ${target.description} ${replacing ? 'has an install, which --force replaces' : 'has no install'}`;
    },
  };

  // Set once the tasks below exist, which it runs; they reach it only when they run.
  // eslint-disable-next-line prefer-const
  let up: ServicesUp | undefined;
  const ofUp = () => up ?? internal('not planned');
  const containers = (): ContainerClient => ofUp().host().docker.containers;
  const login = () => backup().manifest.database;
  const restoreTasks: Task[] = [
    {
      title: 'Restore the database',
      run: async (onLine) => {
        const stack = ofUp().stack();
        if (replacing) {
          onLine('stopping the app, whose database is replaced');
          await stack.stopService('app');
        }
        await stack.upServices(['db']);
        await stack.waitUntil(
          'db',
          ['pg_isready', '-h', '127.0.0.1', '-U', login().user, '-d', login().name],
          'the database to accept connections',
          300_000,
        );
        const db = (await containers().serviceContainer(SERVICES_PROJECT_NAME, 'db')) ?? internal('db is not running');
        if (replacing) {
          onLine(`replacing the database ${login().name} (--force)`);
          const maintenance = { user: login().user, name: 'postgres' };
          const quoted = `"${login().name.replaceAll('"', '""')}"`;
          await psql(containers(), db, maintenance, `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
          await psql(containers(), db, maintenance, `CREATE DATABASE ${quoted}`);
        }
        onLine('pg_restore');
        await restoreBackupDump(containers(), db, backup(), key);
        return `restored ${formatByteSize(statSync(join(backup().dir, DUMP_FILE)).size)} of dump into ${login().name}`;
      },
    },
    {
      title: 'Restore the blobs into the data volume',
      run: async (onLine) => {
        const { manifest, setDir } = backup();
        if (manifest.blobStore.kind === 's3')
          return `${manifest.bucketBlobs?.length ?? 0} blobs are in s3://${manifest.blobStore.bucket}/${manifest.blobStore.prefix}, which this install reads`;
        const blobs = manifest.files.filter((file) => file.path.startsWith(`${BLOBS_DIR}/`));
        const stack = ofUp().stack();
        await stack.createService('app');
        const app =
          (await containers().serviceContainer(SERVICES_PROJECT_NAME, 'app', { running: false })) ??
          internal('the app container was not created');
        const owner = await ownerOf(containers(), app, settings.dataDir);
        let bytes = 0;
        const tar = pack();
        const produce = async () => {
          try {
            const folders = new Set(blobs.map((file) => posix.dirname(file.path)));
            addFolder(tar, BLOBS_DIR, owner);
            for (const folder of [...folders].sort()) addFolder(tar, folder, owner);
            for (const [index, file] of blobs.entries()) {
              const size = key ? plainSize(file.size) : file.size;
              await addFile(tar, join(setDir, file.path), file.path, size, owner, key);
              bytes += size;
              if ((index + 1) % 100 === 0) onLine(`${index + 1}/${blobs.length} blobs, ${formatByteSize(bytes)}`);
            }
            tar.finalize();
          } catch (error) {
            tar.destroy(error as Error);
            throw error;
          }
        };
        // Both at once, each failure heard: the engine may refuse the archive before it is all sent.
        await Promise.all([produce(), containers().putArchive(app, settings.dataDir, nodeStream(tar))]);
        return `${blobs.length} blobs (${formatByteSize(bytes)}) in ${settings.dataDir}/${BLOBS_DIR}`;
      },
    },
  ];

  up = planServicesUp({
    settings,
    stateFolder: options.stateFolder,
    ...(options.hostText !== undefined && { hostText: options.hostText }),
    ...(options.tls && { tls: options.tls }),
    beforeStart: restoreTasks,
  });

  return {
    tasks: source.tasks([check, ...up.tasks]),
    close: source.close,
    result: () => ({
      ...ofUp().result(),
      backup: source.name(backup()),
      createdAt: backup().manifest.createdAt,
      schema: backup().manifest.schema,
      blobs: backup().manifest.files.filter((file) => file.path.startsWith(`${BLOBS_DIR}/`)).length,
    }),
  };
}

/** What no amount of trying would make work: the key, a newer schema, another kind of install. */
function refuseWhatCannotWork(found: FoundBackup, options: RestoreOptions): void {
  const { manifest, dir } = found;
  const { settings, knownSchema } = options;
  const key = settings.secrets.encryptionKey;
  const problems = [];
  if (key === undefined)
    problems.push({
      input: 'GYRE_ENCRYPTION_KEY',
      message: 'is not set; a restore needs the installation key the backup was made with',
      hint: 'set GYRE_ENCRYPTION_KEY in .env to the key of the install the backup is from',
    });
  else if (!options.keyOpens(key, manifest.keyCheck))
    problems.push({
      input: 'GYRE_ENCRYPTION_KEY',
      message: `is not the installation key ${dir} was made with: its secrets could not be read with it`,
      hint: 'set GYRE_ENCRYPTION_KEY in .env to the key of the install the backup is from; nothing was written',
    });
  if (manifest.encrypted && options.passphrase === undefined)
    problems.push({
      input: '--passphrase-file',
      message: `is needed: ${dir} is encrypted`,
      hint: 'pass --passphrase-file with the passphrase the backup was made with',
    });
  if (manifest.database.user !== BUNDLED_DATABASE.user || manifest.database.name !== BUNDLED_DATABASE.database)
    problems.push({
      input: dir,
      message: `holds a dump of the database ${manifest.database.name} (user ${manifest.database.user}), not the bundled ${BUNDLED_DATABASE.database}`,
      hint: 'restore it into its own database with pg_restore; `gyre restore` restores the bundled one',
    });
  if (manifest.schema > knownSchema)
    problems.push({
      input: dir,
      message: `was made by Gyre ${manifest.gyre} with schema ${manifest.schema}; this Gyre knows schema ${knownSchema} at most`,
      hint: `restore it with Gyre ${manifest.gyre} or newer: a restore never goes back to an older Gyre`,
    });
  if (settings.database.kind !== 'bundled')
    problems.push({
      input: 'GYRE_DATABASE_URL',
      message: 'names an external database; `gyre restore` restores into the bundled one',
      hint: `restore ${DUMP_FILE} into your database with pg_restore, or unset GYRE_DATABASE_URL`,
    });
  if (settings.blobStore.kind !== manifest.blobStore.kind)
    problems.push({
      input: 'GYRE_BLOB_STORE',
      message: `is ${settings.blobStore.kind === 'file' ? 'the data volume' : 'an S3 bucket'}, but the backup's blobs are ${manifest.blobStore.kind === 'file' ? 'in its folder' : 'in an S3 bucket'}`,
      hint: 'set GYRE_BLOB_STORE as it was for the install the backup is from',
    });
  if (problems.length > 0) throw new InvalidInputError('gyre restore', problems);
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** Who owns a folder in a container: its archive's first entry says; the rest is not read. */
async function ownerOf(containers: ContainerClient, container: string, path: string): Promise<Owner> {
  const tar = await containers.getArchive(container, path);
  return new Promise((resolve, reject) => {
    const entries = extract();
    entries.once('entry', (header) => {
      resolve({ uid: header.uid ?? 0, gid: header.gid ?? 0 });
      tar.destroy();
      entries.destroy();
    });
    entries.on('error', reject);
    entries.on('finish', () => reject(new Error(`internal: ${path} has no archive entry`)));
    tar.on('error', reject);
    tar.pipe(entries);
  });
}

function addFolder(tar: Pack, name: string, owner: Owner): void {
  tar.entry({ name, type: 'directory', mode: 0o750, ...owner });
}

/** A blob into the archive, decrypted on the way when the backup is encrypted. */
function addFile(
  tar: Pack,
  path: string,
  name: string,
  size: number,
  owner: Owner,
  key: SetKey | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = tar.entry({ name, size, mode: 0o640, ...owner }, (error) => (error ? reject(error) : resolve()));
    const source = createReadStream(path);
    const plain = key ? source.pipe(decrypting(key, name)) : source;
    for (const stream of [source, plain]) stream.on('error', (error: Error) => entry.destroy(error));
    plain.pipe(entry);
  });
}
