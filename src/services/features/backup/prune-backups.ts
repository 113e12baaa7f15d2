/**
 * GYRE_BACKUP_KEEP: after a scheduled backup, the backups the schedule made and has marked
 * removed go, and then every blob that no backup left in the set names. Only backups the
 * `backups` table knows as this install's are removed: a folder it does not know (an older
 * install's, before a restore; another install's sharing the prefix) stays, with its blobs.
 * Runs under the backup run lock, so no backup is being written meanwhile.
 */
import { MANIFEST_FILE, manifestSchema } from '../../../protocol/backup-manifest.js';
import type { BackupDestination } from './destinations/backup-destination.js';

export interface Pruned {
  readonly backups: string[];
  readonly blobs: number;
}

export async function pruneBackups(destination: BackupDestination, removed: readonly string[]): Promise<Pruned> {
  const marked = new Set(removed);
  const present = await destination.backups();
  const gone: string[] = [];
  for (const { name } of present)
    if (marked.has(name)) {
      await destination.remove(name);
      gone.push(name);
    }
  // Every finished backup left names its blobs; one whose manifest cannot be read stops the
  // pruning of blobs (it could name any of them).
  const named = new Set<string>();
  for (const { name, finished } of present)
    if (finished && !marked.has(name)) {
      const text = await readAll(await destination.read(`${name}/${MANIFEST_FILE}`));
      for (const file of manifestSchema.parse(JSON.parse(text)).files)
        if (file.path.startsWith('blobs/')) named.add(file.sha256);
    }
  let blobs = 0;
  for (const digest of await destination.blobs())
    if (!named.has(digest)) {
      await destination.removeBlob(digest);
      blobs += 1;
    }
  return { backups: gone.sort(), blobs };
}

async function readAll(body: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
