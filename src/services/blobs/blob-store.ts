/**
 * Where caches, workspace layers and artifacts keep their bytes: content-addressed blobs, named
 * by the sha256 of their bytes, so the same bytes sent twice (a retried upload) are one blob.
 * Rows in PostgreSQL name blobs by digest; the store knows nothing of what they hold. Two
 * implementations pass the same contract tests: the filesystem (default) and S3-compatible.
 */
import type { Readable } from 'node:stream';

/** A blob's address and size. */
export interface StoredBlob {
  /** The sha256 of the bytes, lowercase hex. */
  readonly digest: string;
  readonly size: number;
}

/** A byte range, `end` inclusive as in HTTP's Range header. */
export interface ByteRange {
  readonly start: number;
  /** @default the last byte */
  readonly end?: number;
}

export interface BlobStore {
  /**
   * Streams `body` in and resolves to its address. Over `maxBytes` it throws a TooLargeError
   * naming the limit and keeps nothing; a half-written blob is never visible.
   */
  put(body: Readable, options?: { readonly maxBytes?: number }): Promise<StoredBlob>;
  /** The bytes, or a range of them. NotFoundError when there is no such blob. */
  get(digest: string, range?: ByteRange): Promise<Readable>;
  /** The blob's size, or undefined when there is none. */
  stat(digest: string): Promise<{ readonly size: number } | undefined>;
  /** Removes the blob; removing one that is gone is not an error. */
  delete(digest: string): Promise<void>;
  /** Every blob, for the sweeper's pass over blobs no row names. */
  list(): AsyncIterable<StoredBlob & { readonly modifiedAt: Date }>;
  /**
   * A URL a builder may GET the blob from for `expiresInS` seconds, keeping the bytes off the
   * services box (S3: presigned), or undefined when the services box serves the blob itself.
   */
  downloadUrl(digest: string, expiresInS: number): Promise<string | undefined>;
}
