/**
 * Files of a backup written and read with their SHA-256 taken on the way. A file is written under
 * a temporary name and renamed once complete and flushed, so an interrupted backup never leaves
 * a partial file under a name a manifest could list.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Checksum {
  readonly size: number;
  readonly sha256: string;
}

/** Writes `body` to `path`, calling `onBytes` with the running total; resolves to its size and SHA-256. */
export async function writeChecksummed(
  body: Readable,
  path: string,
  onBytes: (total: number) => void = () => undefined,
): Promise<Checksum> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  const meter = checksumMeter(onBytes);
  try {
    await pipeline(body, meter.stream, createWriteStream(partial, { flush: true }));
    await rename(partial, path);
    return meter.result();
  } finally {
    await rm(partial, { force: true });
  }
}

/** The size and SHA-256 of a file. */
export async function checksumOf(path: string): Promise<Checksum> {
  const meter = checksumMeter(() => undefined);
  await pipeline(createReadStream(path), meter.stream, async (source: AsyncIterable<unknown>) => {
    for await (const _ of source);
  });
  return meter.result();
}

function checksumMeter(onBytes: (total: number) => void) {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      onBytes(size);
      done(null, chunk);
    },
  });
  return { stream, result: (): Checksum => ({ size, sha256: hash.digest('hex') }) };
}
