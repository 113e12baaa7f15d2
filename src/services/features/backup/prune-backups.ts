/**
 * GYRE_BACKUP_KEEP: after a scheduled backup, the set keeps the newest backups, and only the blobs
 * their manifests name. Runs under the backup run lock, so no backup is being written meanwhile;
 * anything else in the set (older backups, a failed run's partial folder) goes.
 */
import { MANIFEST_FILE, manifestSchema } from '../../../protocol/backup-manifest.js';
import type { BackupDestination } from './destinations/backup-destination.js';

export interface Pruned {
  readonly backups: string[];
  readonly blobs: number;
}

export async function pruneBackups(destination: BackupDestination, kept: readonly string[]): Promise<Pruned> {
  const keep = new Set(kept);
  const removed: string[] = [];
  for (const { name } of await destination.backups())
    if (!keep.has(name)) {
      await destination.remove(name);
      removed.push(name);
    }
  const named = new Set<string>();
  for (const name of kept) {
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
  return { backups: removed.sort(), blobs };
}

async function readAll(body: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
