/**
 * Scheduled backups in a folder of the data volume (GYRE_DATA_DIR/backups). A blob of the file
 * store joins the set as a hard link: the same volume, so it costs no space while the store keeps
 * the blob, and the sweeper deleting the store's name leaves the backup's. Where a link is not
 * possible (another filesystem mounted there), the blob is copied.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { BLOBS_DIR, blobPath, MANIFEST_FILE } from '../../../../protocol/backup-manifest.js';
import { checksumOf, writeChecksummed, type Checksum } from '../../../../shared/checksummed-files.js';
import { BACKUP_NAME_PATTERN, type BackupDestination } from './backup-destination.js';

const HEX_FOLDER = /^[0-9a-f]{2}$/;
const DIGEST = /^[0-9a-f]{64}$/;

export class FolderDestination implements BackupDestination {
  constructor(private readonly root: string) {}

  get description(): string {
    return this.root;
  }

  write(path: string, body: Readable): Promise<Checksum> {
    return writeChecksummed(body, join(this.root, path));
  }

  async read(path: string): Promise<Readable> {
    await stat(join(this.root, path)); // a missing file fails here, not in the middle of a pipeline
    return createReadStream(join(this.root, path));
  }

  async hasBlob(digest: string, size: number): Promise<boolean> {
    const found = await stat(join(this.root, blobPath(digest))).catch(() => undefined);
    return found?.size === size;
  }

  async addBlob(digest: string, source: string): Promise<Checksum> {
    const path = join(this.root, blobPath(digest));
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.${randomUUID()}.partial`;
    try {
      await link(source, partial);
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM') throw error;
      return writeChecksummed(createReadStream(source), path);
    }
    return checksumOf(path);
  }

  async backups(): Promise<{ name: string; finished: boolean }[]> {
    if (!existsSync(this.root)) return [];
    return (await readdir(this.root))
      .filter((name) => BACKUP_NAME_PATTERN.test(name))
      .map((name) => ({ name, finished: existsSync(join(this.root, name, MANIFEST_FILE)) }));
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.root, name), { recursive: true, force: true });
  }

  async blobs(): Promise<string[]> {
    const root = join(this.root, BLOBS_DIR);
    if (!existsSync(root)) return [];
    const digests: string[] = [];
    for (const folder of (await readdir(root)).filter((name) => HEX_FOLDER.test(name)))
      digests.push(...(await readdir(join(root, folder))).filter((name) => DIGEST.test(name)));
    return digests;
  }

  async removeBlob(digest: string): Promise<void> {
    await rm(join(this.root, blobPath(digest)), { force: true });
  }
}
