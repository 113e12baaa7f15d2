/**
 * One scheduled backup, written by the services app itself in the layout `gyre backup create`
 * writes (src/protocol/backup-manifest.ts), so `gyre backup verify` and `gyre restore` read it as
 * they read one of those. It is consistent in the same way: one repeatable-read snapshot, exported
 * to `pg_dump --snapshot`, names the blobs to keep, and the blob deletion lock is held shared
 * until they are in the set.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Settings } from '../../../config/index.js';
import {
  blobPath,
  DUMP_FILE,
  MANIFEST_FILE,
  manifestOf,
  manifestSchema,
  SETTINGS_FILE,
  type Manifest,
  type ManifestFile,
} from '../../../protocol/backup-manifest.js';
import type { Database } from '../../database/create-pool.js';
import { openBackupSnapshot, type SnapshotContents } from '../../stores/backup/backup-snapshot.js';
import type { BackupDestination } from './destinations/backup-destination.js';
import { describeSnapshot } from './hold-snapshot.js';
import type { DatabaseDumpTools } from './postgres-tools.js';

export interface BackupWriterDeps {
  readonly db: Database;
  readonly settings: Settings;
  readonly version: string;
  readonly tools: DatabaseDumpTools;
  readonly destination: BackupDestination;
  /** What the backup keeps as settings.env: the app's settings without its secrets. */
  readonly settingsText: string;
}

export interface WrittenBackup {
  readonly manifest: Manifest;
  readonly databaseBytes: number;
  /** Blobs the set did not hold before this backup. */
  readonly blobsAdded: number;
  readonly blobBytesAdded: number;
}

/** Writes the backup `name`; `signal` (the run's deadline) stops it where it is. */
export async function writeBackup(
  deps: BackupWriterDeps,
  name: string,
  createdAt: Date,
  signal: AbortSignal,
): Promise<WrittenBackup> {
  const snapshot = await openBackupSnapshot(deps.db);
  const taken = await writeSnapshotFiles(deps, name, snapshot.contents, signal).finally(() => snapshot.close());
  const s = taken.described;
  const settingsPath = `${name}/${SETTINGS_FILE}`;
  const settingsFile = await deps.destination.write(settingsPath, Readable.from([Buffer.from(deps.settingsText)]));
  // Parsed as `verify` will parse it, so a backup this Gyre could not read again fails now.
  const manifest = manifestSchema.parse(
    manifestOf(s, createdAt, [taken.dump, { path: settingsPath, ...settingsFile }, ...taken.blobs], false),
  );
  await deps.destination.write(
    `${name}/${MANIFEST_FILE}`,
    Readable.from([Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)]),
  );
  return {
    manifest,
    databaseBytes: taken.dump.size,
    blobsAdded: taken.blobsAdded,
    blobBytesAdded: taken.blobBytesAdded,
  };
}

/** What must be written while the snapshot is open: the dump, and the blobs it names. */
async function writeSnapshotFiles(
  deps: BackupWriterDeps,
  name: string,
  contents: SnapshotContents,
  signal: AbortSignal,
) {
  const { destination } = deps;
  const described = describeSnapshot(contents, deps.settings, deps.version);
  const dumpPath = `${name}/${DUMP_FILE}`;
  const dump: ManifestFile = {
    path: dumpPath,
    ...(await destination.write(dumpPath, deps.tools.dump(contents.snapshot, signal))),
  };
  const blobs: ManifestFile[] = [];
  let blobsAdded = 0;
  let blobBytesAdded = 0;
  const store = described.blobStore;
  // An S3 store's blobs stay in its bucket; the manifest lists them (bucketBlobs).
  if (store.kind === 'file')
    for (const { digest, size } of described.blobs) {
      signal.throwIfAborted();
      if (!(await destination.hasBlob(digest, size))) {
        const added = await destination.addBlob(digest, join(store.root, digest.slice(0, 2), digest));
        if (added.sha256 !== digest)
          throw new Error(
            `blob ${digest} in ${store.root} holds other bytes (SHA-256 ${added.sha256}): the blob store is damaged there`,
          );
        blobsAdded += 1;
        blobBytesAdded += added.size;
      }
      // A plain blob's checksum is its name.
      blobs.push({ path: blobPath(digest), size, sha256: digest });
    }
  return { described, dump, blobs, blobsAdded, blobBytesAdded };
}
