/**
 * The default blob store: files under a folder of the services box (GYRE_DATA_DIR/blobs), at
 * `<root>/<first 2 hex>/<digest>` so no folder holds more than a 256th of them. A blob appears
 * only by an atomic rename of a complete, fsynced file, so a crash or a failed upload never
 * leaves a half-written blob under its name.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../shared/errors.js';
import { assertDigest, DIGEST_PATTERN, DigestMeter } from './blob-digest.js';
import { noDirectUpload, type BlobStore, type ByteRange, type DirectUpload, type StoredBlob } from './blob-store.js';
import { assertRange, rangePastEnd } from './byte-range.js';

/**
 * Uploads in progress, inside the root so that the final rename stays on one filesystem (and is
 * atomic). Its name is no 2-hex folder, so `list` never walks it.
 */
const UPLOADS_DIR = '.uploads';
const FOLDER_PATTERN = /^[0-9a-f]{2}$/;

export class FileBlobStore implements BlobStore {
  readonly takesDirectUploads = false;

  constructor(private readonly root: string) {}

  async put(body: Readable, options: { readonly maxBytes?: number } = {}): Promise<StoredBlob> {
    const uploads = join(this.root, UPLOADS_DIR);
    await mkdir(uploads, { recursive: true });
    const temp = join(uploads, randomUUID());
    const meter = new DigestMeter(options.maxBytes);
    try {
      // `flush` fsyncs the file before closing it: the rename must not publish bytes that are
      // still only in the page cache.
      await pipeline(body, meter, createWriteStream(temp, { flags: 'wx', flush: true }));
      const blob = meter.stored();
      const path = this.#pathOf(blob.digest);
      await mkdir(dirname(path), { recursive: true });
      // Over an existing blob this swaps in the same bytes. It also gives the blob a fresh mtime,
      // so a sweeper that spares recent blobs cannot take it before a row names it again.
      await rename(temp, path);
      await syncFolder(dirname(path));
      return blob;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    const path = this.#pathOf(digest);
    assertRange(range);
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw isMissing(error) ? new NotFoundError(`blob ${digest}`) : error;
    });
    try {
      const { size } = await handle.stat();
      if (range && range.start >= size) throw rangePastEnd(digest, range.start, size);
      // The stream owns the handle from here and closes it when it ends or is destroyed.
      return handle.createReadStream({ start: range?.start, end: range?.end });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(digest: string): Promise<{ readonly size: number } | undefined> {
    const path = this.#pathOf(digest);
    try {
      return { size: (await stat(path)).size };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.#pathOf(digest), { force: true });
  }

  async *list(): AsyncIterable<StoredBlob & { readonly modifiedAt: Date }> {
    for (const folder of await readdirOrEmpty(this.root)) {
      if (!FOLDER_PATTERN.test(folder)) continue;
      for (const name of await readdirOrEmpty(join(this.root, folder))) {
        if (!DIGEST_PATTERN.test(name) || !name.startsWith(folder)) continue;
        // A blob deleted while the walk goes on is simply not listed.
        const info = await stat(join(this.root, folder, name)).catch((error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        if (info?.isFile()) yield { digest: name, size: info.size, modifiedAt: info.mtime };
      }
    }
  }

  /** The services box serves file blobs itself. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async, so a bad digest rejects like every other call's
  async downloadUrl(digest: string): Promise<string | undefined> {
    assertDigest(digest);
    return undefined;
  }

  /** Builders send file blobs through the services box, which writes them with `put`. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async, so a bad digest rejects like every other call's
  async uploadUrl(digest: string): Promise<DirectUpload | undefined> {
    assertDigest(digest);
    return undefined;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async: a refusal rejects like every other call's
  async commitUpload(upload: string): Promise<void> {
    throw noDirectUpload(upload);
  }

  #pathOf(digest: string): string {
    assertDigest(digest);
    return join(this.root, digest.slice(0, 2), digest);
  }
}

/** Makes a rename in `folder` durable: the new directory entry is on disk once this resolves. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
