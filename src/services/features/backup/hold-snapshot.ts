/**
 * The services box's side of `gyre backup create`: opens the snapshot, announces what it holds as
 * one JSON line, and keeps it open until `release` settles (the orchestrator closing the command's
 * stdin, or its connection dropping), so a crashed backup never leaves a transaction open.
 */
import { BUNDLED_DATABASE, type Settings } from '../../../config/index.js';
import type { BackupSnapshotAnnouncement } from '../../../protocol/backup-snapshot.js';
import { KEY_CHECK_TEXT } from '../../../protocol/backup-snapshot.js';
import { fileBlobRoot } from '../../blobs/create-blob-store.js';
import { createSecretBox } from '../../core/security/secret-box.js';
import type { Database } from '../../database/create-pool.js';
import { openBackupSnapshot, type SnapshotContents } from '../../stores/backup/backup-snapshot.js';

export async function holdBackupSnapshot(
  db: Database,
  settings: Settings,
  version: string,
  announce: (line: string) => void,
  release: Promise<void>,
): Promise<void> {
  const snapshot = await openBackupSnapshot(db);
  try {
    announce(JSON.stringify(describeSnapshot(snapshot.contents, settings, version)));
    await release;
  } finally {
    await snapshot.close();
  }
}

/** What a backup records of its snapshot: the contents, and the install they belong to. */
export function describeSnapshot(
  contents: SnapshotContents,
  settings: Settings,
  version: string,
): BackupSnapshotAnnouncement {
  const key = settings.secrets.encryptionKey;
  if (key === undefined) throw new Error('GYRE_ENCRYPTION_KEY is not set in the app container');
  const store = settings.blobStore;
  return {
    gyre: version,
    ...contents,
    blobs: [...contents.blobs],
    keyCheck: createSecretBox(key).seal(KEY_CHECK_TEXT).toString('base64'),
    database: databaseOf(settings),
    blobStore:
      store.kind === 'file'
        ? { kind: 'file', root: fileBlobRoot(settings.dataDir) }
        : {
            kind: 's3',
            bucket: store.bucket,
            prefix: store.prefix,
            ...(store.endpoint !== undefined && { endpoint: store.endpoint }),
          },
  };
}

/** The user and database `pg_dump` logs in as. */
function databaseOf(settings: Settings): { user: string; name: string } {
  if (settings.database.kind === 'bundled') return { user: BUNDLED_DATABASE.user, name: BUNDLED_DATABASE.database };
  const url = new URL(settings.database.url);
  return { user: decodeURIComponent(url.username), name: decodeURIComponent(url.pathname.slice(1)) };
}
