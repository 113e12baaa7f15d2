import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  noDirectUpload,
  type BlobStore,
  type ByteRange,
  type DirectUpload,
  type StoredBlob,
} from '../../src/services/blobs/blob-store.js';
import { InvalidInputError, NotFoundError, TooLargeError } from '../../src/shared/errors.js';

/**
 * A BlobStore in memory, behind the project's own interface, for tests of what names blobs (the
 * metadata stores, the artifact downloads, the retention sweeper). It keeps the interface's
 * promises: content addresses, nothing kept over `maxBytes`, inclusive ranges, NotFoundError for a
 * missing blob, deleting twice is fine. Like the real stores, each put (of new bytes or the same
 * again) makes the blob's modification time now; `now` lets a test move that clock.
 */
export class MemoryBlobStore implements BlobStore {
  readonly takesDirectUploads = false;
  readonly #blobs = new Map<string, { bytes: Buffer; modifiedAt: Date }>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async put(body: Readable, options: { readonly maxBytes?: number } = {}): Promise<StoredBlob> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        body.destroy();
        throw new TooLargeError('the blob', options.maxBytes);
      }
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = createHash('sha256').update(bytes).digest('hex');
    this.#blobs.set(digest, { bytes, modifiedAt: this.now() });
    return { digest, size };
  }

  /** Stores `bytes` as a put would. */
  putBytes(bytes: Buffer | string): Promise<StoredBlob> {
    return this.put(Readable.from([Buffer.from(bytes)]));
  }

  get(digest: string, range?: ByteRange): Promise<Readable> {
    const blob = this.#blobs.get(digest);
    if (!blob) return Promise.reject(new NotFoundError(`blob ${digest}`));
    if (range === undefined) return Promise.resolve(Readable.from([blob.bytes]));
    if (range.start >= blob.bytes.length)
      return Promise.reject(
        new InvalidInputError('the byte range', [
          { input: 'range', message: `starts at byte ${range.start}, past the end of blob ${digest}` },
        ]),
      );
    const end = range.end === undefined ? blob.bytes.length : range.end + 1;
    return Promise.resolve(Readable.from([blob.bytes.subarray(range.start, end)]));
  }

  stat(digest: string): Promise<{ readonly size: number } | undefined> {
    const blob = this.#blobs.get(digest);
    return Promise.resolve(blob && { size: blob.bytes.length });
  }

  delete(digest: string): Promise<void> {
    this.#blobs.delete(digest);
    return Promise.resolve();
  }

  async *list(): AsyncIterable<StoredBlob & { readonly modifiedAt: Date }> {
    // A copy: the sweeper deletes while it walks, as it may with the real stores.
    for (const [digest, blob] of [...this.#blobs]) {
      await Promise.resolve();
      yield { digest, size: blob.bytes.length, modifiedAt: blob.modifiedAt };
    }
  }

  /** The services box serves the bytes itself, as with the filesystem store. */
  downloadUrl(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  /** Bytes come through the services box, as with the filesystem store. */
  uploadUrl(): Promise<DirectUpload | undefined> {
    return Promise.resolve(undefined);
  }

  commitUpload(upload: string): Promise<void> {
    return Promise.reject(noDirectUpload(upload));
  }

  /** The digests held, for tests to check what was kept. */
  digests(): string[] {
    return [...this.#blobs.keys()].sort();
  }
}
