/**
 * A body the agent must know the sha256 and size of before it sends it: a direct upload to the
 * blob store is addressed by its digest. The body is written to a temporary file (in a folder of
 * its own under the OS's temporary folder, readable by this user only) while it is hashed, never
 * held whole in memory, and the folder is removed once the upload is done or has failed.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface SpooledFile {
  readonly path: string;
  /** The sha256 of the bytes, lowercase hex. */
  readonly digest: string;
  readonly size: number;
}

/** Spools `body` under `parent`, calls `use` with the file, and removes the file whatever happens. */
export async function withSpooledFile<T>(
  body: Readable,
  use: (file: SpooledFile) => Promise<T>,
  parent = tmpdir(),
): Promise<T> {
  const folder = await mkdtemp(join(parent, 'gyre-upload-'));
  try {
    const path = join(folder, 'body');
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(path, { flags: 'wx' }),
    );
    return await use({ path, digest: hash.digest('hex'), size });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
