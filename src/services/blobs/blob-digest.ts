/**
 * What both blob stores share about digests: the one spelling a digest may have (which also keeps
 * a digest from naming a path or key outside the store), the stream that hashes and counts bytes
 * on their way in, and a check that a stored blob still has the bytes its name promises.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidInputError, TooLargeError } from '../../shared/errors.js';
import type { BlobStore, StoredBlob } from './blob-store.js';

/** A sha256 in lowercase hex: the only names blobs have. */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/** Refuses anything but a lowercase sha256 hex digest. */
export function assertDigest(digest: string): void {
  if (DIGEST_PATTERN.test(digest)) return;
  const shown = digest.length > 80 ? `${digest.slice(0, 80)}…` : digest;
  throw new InvalidInputError('the blob address', [
    {
      input: 'digest',
      message: `"${shown}" is not a sha256 digest`,
      hint: 'give the 64 lowercase hex characters of the sha256 of the bytes',
    },
  ]);
}

/**
 * Passes bytes through while hashing and counting them. More than `maxBytes` fails the stream with
 * a TooLargeError, so whatever reads it (a file, an upload) stops and keeps nothing.
 */
export class DigestMeter extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;

  constructor(private readonly maxBytes?: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.maxBytes !== undefined && this.#size > this.maxBytes) {
      callback(new TooLargeError('the upload', this.maxBytes));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** The digest and size of everything that passed; call once, after the stream has ended. */
  stored(): StoredBlob {
    return { digest: this.#hash.digest('hex'), size: this.#size };
  }
}

/**
 * Reads a blob whole and says whether its bytes still hash to its digest: for an administrator's
 * or a test's check of a store, not for every read (a range cannot be checked, and a whole read
 * would hash the bytes twice).
 */
export async function blobIsIntact(store: BlobStore, digest: string): Promise<boolean> {
  const hash = createHash('sha256');
  for await (const chunk of await store.get(digest)) hash.update(chunk as Buffer);
  return hash.digest('hex') === digest;
}
