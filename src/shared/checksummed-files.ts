/**
 * Files of a backup written and read with their SHA-256 taken on the way. A file is written under
 * a temporary name of its own and renamed once complete and flushed, so an interrupted backup, or
 * two at once into one folder, never leaves a partial file under a name a manifest could list.
 * Backups hold password hashes and sealed secrets: files are for their owner only (0600, folders
 * 0700).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Checksum {
  readonly size: number;
  readonly sha256: string;
}

export interface WriteOptions {
  /** Told the running total of bytes written. */
  readonly onBytes?: (total: number) => void;
  /** Transforms the bytes pass through before they are counted and written (encryption). */
  readonly through?: readonly Transform[];
  /** Runs once all is written, before the file gets its name; throwing leaves no file. */
  readonly check?: () => void;
}

/** Writes `body` to `path`; resolves to the size and SHA-256 of what was written. */
export async function writeChecksummed(
  body: Readable,
  path: string,
  { onBytes = () => undefined, through = [], check = () => undefined }: WriteOptions = {},
): Promise<Checksum> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${randomUUID()}.partial`;
  const meter = checksumMeter(onBytes);
  try {
    await pipeline([body, ...through, meter.stream, createWriteStream(partial, { flush: true, mode: 0o600 })]);
    check();
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

/** A pass-through that counts and hashes what passes; `result` once it has ended. */
export function checksumMeter(onBytes: (total: number) => void = () => undefined) {
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
