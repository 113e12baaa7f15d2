/**
 * Scheduled backups under an S3 prefix (GYRE_BACKUP_DESTINATION=s3://bucket/prefix), in the same
 * layout as on disk, so `aws s3 sync` of the prefix gives a folder `gyre restore` reads. A blob
 * of the file store is uploaded once; later backups find it by a HEAD request.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3UrlOf } from '../../../../config/index.js';
import { BLOBS_DIR, blobPath, MANIFEST_FILE } from '../../../../protocol/backup-manifest.js';
import { checksumMeter, type Checksum } from '../../../../shared/checksummed-files.js';
import { listPages } from '../../../blobs/s3-blob-store.js';
import { s3KeyOf, statusOf } from '../../../../shared/s3-client.js';
import { BACKUP_NAME_PATTERN, type BackupDestination } from './backup-destination.js';

const DIGEST = /^[0-9a-f]{64}$/;

export class S3Destination implements BackupDestination {
  constructor(
    private readonly client: S3Client,
    private readonly location: { readonly bucket: string; readonly prefix: string },
  ) {}

  get description(): string {
    return s3UrlOf(this.location);
  }

  async write(path: string, body: Readable): Promise<Checksum> {
    const meter = checksumMeter();
    // pipe() does not pass a failing source on: the upload must fail with it, not end short.
    body.once('error', (error) => meter.stream.destroy(error));
    // An upload is all or nothing: S3 shows an object only once its last part is in.
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.location.bucket, Key: this.#key(path), Body: body.pipe(meter.stream) },
        leavePartsOnError: false,
      }).done();
    } catch (error) {
      // The source must stop too (a pg_dump would wait on its next write for ever).
      body.destroy(error as Error);
      throw error;
    }
    return meter.result();
  }

  async read(path: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.#key(path) }));
    return object.Body as Readable;
  }

  async hasBlob(digest: string, size: number): Promise<boolean> {
    return (await this.#sizeOf(blobPath(digest))) === size;
  }

  addBlob(digest: string, source: string): Promise<Checksum> {
    return this.write(blobPath(digest), createReadStream(source));
  }

  async backups(): Promise<{ name: string; finished: boolean }[]> {
    const names = new Set<string>();
    for await (const key of this.#keys('', '/')) {
      const name = key.split('/')[0]!;
      if (BACKUP_NAME_PATTERN.test(name)) names.add(name);
    }
    return Promise.all(
      [...names].map(async (name) => ({
        name,
        finished: (await this.#sizeOf(`${name}/${MANIFEST_FILE}`)) !== undefined,
      })),
    );
  }

  async remove(name: string): Promise<void> {
    for await (const key of this.#keys(`${name}/`)) await this.#delete(key);
  }

  async blobs(): Promise<string[]> {
    const digests: string[] = [];
    for await (const key of this.#keys(`${BLOBS_DIR}/`)) {
      const digest = key.split('/').at(-1)!;
      if (DIGEST.test(digest) && key === blobPath(digest)) digests.push(digest);
    }
    return digests;
  }

  async removeBlob(digest: string): Promise<void> {
    await this.#delete(blobPath(digest));
  }

  #key(path: string): string {
    return s3KeyOf(this.location.prefix, path);
  }

  async #sizeOf(path: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.#key(path) }),
      );
      return head.ContentLength ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async #delete(path: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.#key(path) }));
  }

  /**
   * Paths (relative to the set) under `under`; with a delimiter, the folders one level down
   * count as paths too (their names end with it).
   */
  async *#keys(under: string, delimiter?: string): AsyncIterable<string> {
    const strip = this.#key('').length;
    const input = { Bucket: this.location.bucket, Prefix: this.#key(under), Delimiter: delimiter };
    for await (const page of listPages(this.client, input)) {
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key.slice(strip);
      for (const folder of page.CommonPrefixes ?? []) if (folder.Prefix !== undefined) yield folder.Prefix.slice(strip);
    }
  }
}
