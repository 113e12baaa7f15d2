/**
 * Where caches, workspace layers and artifacts keep their bytes: content-addressed blobs, named
 * by the sha256 of their bytes, so the same bytes sent twice (a retried upload) are one blob.
 * Rows in PostgreSQL name blobs by digest; the store knows nothing of what they hold. Two
 * implementations pass the same contract tests: the filesystem (default) and S3-compatible.
 */
import type { Readable } from 'node:stream';
import { InvalidInputError } from '../../shared/errors.js';

/** A blob's address and size. */
export interface StoredBlob {
  /** The sha256 of the bytes, lowercase hex. */
  readonly digest: string;
  readonly size: number;
}

/** Where a builder may PUT a blob's bytes itself, keeping them off the services box. */
export interface DirectUpload {
  readonly url: string;
  /** Headers the PUT must carry exactly as given (they are signed into the URL). */
  readonly headers: Readonly<Record<string, string>>;
  /** Names the upload to `commitUpload` once the bytes are sent. */
  readonly upload: string;
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
  /**
   * Whether `uploadUrl` gives places to upload to. Leases say so to the agent, which otherwise
   * streams caches and workspace layers to the services box without spooling them first.
   */
  readonly takesDirectUploads: boolean;
  /**
   * A place a builder may PUT the `size` bytes of `digest` for `expiresInS` seconds (S3: a presigned
   * PUT to a staging key, the sha256 signed in), or undefined when the bytes must come through the
   * services box (`put`). The blob exists only once `commitUpload` has checked the bytes.
   */
  uploadUrl(digest: string, size: number, expiresInS: number): Promise<DirectUpload | undefined>;
  /**
   * Makes a direct upload the blob `expected` names, after checking that its bytes are exactly
   * those: InvalidInputError (and the upload discarded) when nothing was uploaded, or other bytes.
   */
  commitUpload(upload: string, expected: StoredBlob): Promise<void>;
}

/** A store without direct uploads never hands out an upload name, so a commit of one is refused. */
export function noDirectUpload(upload: string): InvalidInputError {
  return new InvalidInputError('the direct upload', [
    {
      input: 'x-gyre-blob-upload',
      message: `"${upload.slice(0, 80)}" names no upload: this blob store takes bytes only through the services box`,
      hint: 'stream the bytes to the PUT route, as POST /jobs/:id/uploads answers with url: null',
    },
  ]);
}
