/**
 * Reads a scheduled backup back from its destination right after writing it: the files it wrote
 * must hash to what the manifest says, `pg_restore` must turn the whole dump back into SQL and
 * find data of every table the snapshot counted, and every blob it names must be in the set. A full restore
 * into a scratch database is `gyre backup verify`'s, which needs Docker.
 */
import type { Readable } from 'node:stream';
import { blobPath, DUMP_FILE, type Manifest } from '../../../protocol/backup-manifest.js';
import { checksumMeter } from '../../../shared/checksummed-files.js';
import type { BackupDestination } from './destinations/backup-destination.js';
import type { DatabaseDumpTools } from './postgres-tools.js';

export interface BackupCheck {
  readonly passed: boolean;
  readonly detail: string;
}

export async function checkBackup(
  destination: BackupDestination,
  tools: DatabaseDumpTools,
  name: string,
  manifest: Manifest,
  signal: AbortSignal,
): Promise<BackupCheck> {
  const problems: string[] = [];
  const own = manifest.files.filter((file) => file.path.startsWith(`${name}/`));
  let tables: string[] | undefined;
  for (const file of own) {
    signal.throwIfAborted();
    const meter = checksumMeter();
    const body = await destination.read(file.path);
    body.once('error', (error) => meter.stream.destroy(error));
    const through: Readable = body.pipe(meter.stream);
    try {
      if (file.path === `${name}/${DUMP_FILE}`) tables = await tools.tablesIn(through, signal);
      else for await (const _ of through);
    } catch (error) {
      problems.push(`${file.path}: ${(error as Error).message}`);
      continue;
    }
    const sum = meter.result();
    if (sum.size !== file.size || sum.sha256 !== file.sha256)
      problems.push(
        `${file.path}: read back ${sum.size} bytes with SHA-256 ${sum.sha256}, the manifest says ${file.size} and ${file.sha256}`,
      );
  }
  const listed = tables;
  const lacking = listed && Object.keys(manifest.tables).filter((table) => !listed.includes(table));
  if (lacking && lacking.length > 0) problems.push(`the dump holds no data of ${lacking.join(', ')}`);
  const blobs = manifest.files.filter((file) => file.path.startsWith('blobs/'));
  for (const blob of blobs)
    if (!(await destination.hasBlob(blob.sha256, blob.size))) problems.push(`${blobPath(blob.sha256)}: missing`);
  if (problems.length > 0) return { passed: false, detail: problems.join('; ') };
  return {
    passed: true,
    detail: `read back: ${own.length} files match their checksums, the dump lists data of all ${listed?.length ?? 0} tables, ${blobs.length} blobs present`,
  };
}
