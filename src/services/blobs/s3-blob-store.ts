/**
 * The blob store in an S3-compatible bucket, for installs whose blobs outgrow the services box's
 * disk; builders then download straight from the bucket through presigned URLs. A blob's key is
 * `<prefix>/<digest>`, which is known only once every byte has passed, so a put streams to a
 * temporary key (a multipart upload of unknown length) while hashing, then copies it into place.
 * A builder that knows the digest already uploads directly: a presigned PUT to a staging key with
 * the sha256 signed in, checked again here before it is copied into place (`commitUpload`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidInputError, NotFoundError } from '../../shared/errors.js';
import { s3KeyOf, statusOf } from '../../shared/s3-client.js';
import { assertDigest, DIGEST_PATTERN, DigestMeter } from './blob-digest.js';
import type { BlobStore, ByteRange, DirectUpload, StoredBlob } from './blob-store.js';
import { assertRange, rangePastEnd } from './byte-range.js';

/** The bucket and the key prefix ('' for the top level) the blobs live under. */
export interface S3BlobLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/**
 * Uploads in progress, one folder down from the blobs: `list` asks for the prefix's own keys
 * only (delimiter `/`), so it never sees them.
 */
const UPLOADS_FOLDER = 'uploads';
/** S3's smallest part, and the most parts one multipart upload may have. */
const MIN_PART_BYTES = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;
/**
 * Parts sent at once. Each is held in memory while it is sent, so this bounds an upload's memory
 * to a few parts while builders upload side by side.
 */
const PARTS_IN_FLIGHT = 2;
/**
 * The header that carries a PUT's sha256 (base64). Signed into a presigned PUT (not hoisted into
 * its query), so the builder must send exactly this value, and S3 refuses bytes that do not hash to it.
 */
const CHECKSUM_HEADER = 'x-amz-checksum-sha256';
const UPLOAD_NAME_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class S3BlobStore implements BlobStore {
  readonly takesDirectUploads = true;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3BlobLocation,
  ) {}

  async put(body: Readable, options: { readonly maxBytes?: number } = {}): Promise<StoredBlob> {
    const { bucket } = this.location;
    const tempKey = this.#stagingKey(randomUUID());
    const meter = new DigestMeter(options.maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: tempKey, Body: meter },
      // Large enough parts that a blob of maxBytes fits in S3's 10,000 parts.
      partSize: Math.max(MIN_PART_BYTES, Math.ceil((options.maxBytes ?? 0) / MAX_PARTS)),
      queueSize: PARTS_IN_FLIGHT,
      // A failed upload (over maxBytes, a broken source, the server) aborts its parts.
      leavePartsOnError: false,
    });
    // An upload that fails on the server's side stops the source too, instead of leaving it paused.
    const uploading = upload.done().catch((error: unknown) => {
      meter.destroy(error as Error);
      throw error;
    });
    try {
      const [fed, uploaded] = await Promise.allSettled([pipeline(body, meter), uploading]);
      // The source's own error (or the TooLargeError) says more than the upload's echo of it.
      if (fed.status === 'rejected') throw fed.reason;
      if (uploaded.status === 'rejected') throw uploaded.reason;
      const blob = meter.stored();
      // Copying over an existing blob writes the same bytes and refreshes its LastModified, so a
      // sweeper that spares recent blobs cannot take it before a row names it again.
      await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: this.#keyOf(blob.digest),
          CopySource: encodeURI(`${bucket}/${tempKey}`),
        }),
      );
      return blob;
    } finally {
      // A temporary object left behind costs storage only; it must not replace the put's outcome.
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tempKey })).catch(() => undefined);
    }
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    const key = this.#blobKey(digest);
    assertRange(range);
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          ...(range && { Range: `bytes=${range.start}-${range.end ?? ''}` }),
        }),
      );
      // In Node the body is the HTTP response, a Readable.
      return object.Body as Readable;
    } catch (error) {
      if (statusOf(error) === 404) throw new NotFoundError(`blob ${digest}`);
      if (statusOf(error) === 416 && range) throw rangePastEnd(digest, range.start);
      throw error;
    }
  }

  async stat(digest: string): Promise<{ readonly size: number } | undefined> {
    const key = this.#blobKey(digest);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async delete(digest: string): Promise<void> {
    // S3 answers a delete of a missing key with success.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.#blobKey(digest) }));
  }

  async *list(): AsyncIterable<StoredBlob & { readonly modifiedAt: Date }> {
    const prefix = this.#keyOf('');
    for await (const page of listPages(this.client, { Bucket: this.location.bucket, Prefix: prefix, Delimiter: '/' }))
      for (const object of page.Contents ?? []) {
        const digest = object.Key?.slice(prefix.length);
        if (digest !== undefined && DIGEST_PATTERN.test(digest))
          yield { digest, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
  }

  /** A presigned GET: the builder fetches the bytes from the bucket, not through the services box. */
  async downloadUrl(digest: string, expiresInS: number): Promise<string | undefined> {
    const command = new GetObjectCommand({ Bucket: this.location.bucket, Key: this.#blobKey(digest) });
    return await getSignedUrl(this.client, command, { expiresIn: expiresInS });
  }

  /**
   * A presigned PUT of exactly `size` bytes hashing to `digest`, to a staging key of its own: a
   * builder never writes a blob's own key, so a store that does not check the signed checksum
   * still cannot have a blob replaced by other bytes (`commitUpload` checks them first).
   */
  async uploadUrl(digest: string, size: number, expiresInS: number): Promise<DirectUpload | undefined> {
    assertDigest(digest);
    const upload = randomUUID();
    const checksum = Buffer.from(digest, 'hex').toString('base64');
    const command = new PutObjectCommand({
      Bucket: this.location.bucket,
      Key: this.#stagingKey(upload),
      ContentLength: size,
      ChecksumSHA256: checksum,
    });
    const url = await getSignedUrl(this.client, command, {
      expiresIn: expiresInS,
      unhoistableHeaders: new Set([CHECKSUM_HEADER]),
      signableHeaders: new Set(['content-length']),
    });
    return { url, headers: { [CHECKSUM_HEADER]: checksum }, upload };
  }

  /**
   * Checks the staged bytes' size, then their sha256: the checksum S3 verified on the PUT when the
   * store reports one, else the bytes read back and hashed here (a store that ignores checksums,
   * such as s3rver). Then copies them to the blob's key; the staging object goes either way.
   */
  async commitUpload(upload: string, expected: StoredBlob): Promise<void> {
    if (!UPLOAD_NAME_PATTERN.test(upload)) throw uploadRefused(upload.slice(0, 80), 'no such upload was given out');
    assertDigest(expected.digest);
    const { bucket } = this.location;
    const staged = this.#stagingKey(upload);
    try {
      const head = await this.client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: staged, ChecksumMode: 'ENABLED' }))
        .catch((error: unknown) => {
          if (statusOf(error) === 404) throw uploadRefused(upload, 'no bytes were uploaded to it');
          throw error;
        });
      if (head.ContentLength !== expected.size)
        throw uploadRefused(upload, `it holds ${head.ContentLength ?? 0} bytes, not the ${expected.size} announced`);
      const sha256 = await this.#sha256Of(staged, head.ChecksumSHA256);
      if (sha256 !== expected.digest)
        throw uploadRefused(upload, `its bytes hash to ${sha256}, not to the digest ${expected.digest} announced`);
      await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: this.#keyOf(expected.digest),
          CopySource: encodeURI(`${bucket}/${staged}`),
        }),
      );
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: staged })).catch(() => undefined);
    }
  }

  /** The staged object's sha256 in hex: the full-object checksum S3 reports, else hashed from its bytes. */
  async #sha256Of(key: string, reported: string | undefined): Promise<string> {
    // A multipart upload's checksum is of its parts ("…-3"); a presigned PUT is one part.
    if (reported !== undefined && !reported.includes('-')) return Buffer.from(reported, 'base64').toString('hex');
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  #stagingKey(upload: string): string {
    return this.#keyOf(`${UPLOADS_FOLDER}/${upload}`);
  }

  #blobKey(digest: string): string {
    assertDigest(digest);
    return this.#keyOf(digest);
  }

  #keyOf(name: string): string {
    return s3KeyOf(this.location.prefix, name);
  }
}

function uploadRefused(upload: string, problem: string): InvalidInputError {
  return new InvalidInputError('the direct upload', [
    {
      input: 'x-gyre-blob-upload',
      message: `upload ${upload} is refused: ${problem}`,
      hint: 'upload the file again, announcing the sha256 and size of the bytes sent',
    },
  ]);
}

/** Every page of a listing, following continuation tokens. */
export async function* listPages(
  client: S3Client,
  input: Omit<ListObjectsV2CommandInput, 'ContinuationToken'>,
): AsyncIterable<ListObjectsV2CommandOutput> {
  let continuation: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ ...input, ContinuationToken: continuation }));
    yield page;
    continuation = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuation);
}
