/**
 * An S3-compatible server for the blob store's tests: s3rver, in this process, on a free port of
 * the loopback address, keeping its objects in a temporary folder. It speaks S3's HTTP API
 * (multipart uploads, copies, ranges, listing, presigned URLs), so the S3 blob store is tested
 * through the real AWS SDK against a real server, without Docker or an account. It does not check
 * SigV4 signatures (only that the access key exists) nor `x-amz-checksum-*` headers, so what a
 * signed header or checksum refuses on S3 is not tested against it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3BlobStoreSettings } from '../../src/config/index.js';
import { settingsFrom } from './settings.js';

/** What the tests use of s3rver, which ships no types. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

/** s3rver checks signatures against this one account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface TestS3Server {
  /** The server's URL, for GYRE_S3_ENDPOINT (use path-style addressing). */
  readonly endpoint: string;
  /** A bucket that exists from the start. */
  readonly bucket: string;
  stop(): Promise<void>;
}

/** Starts a server with one empty bucket. */
export async function startS3Server(bucket = 'gyre-blobs'): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'gyre-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The settings of a store under `prefix` of the test server's bucket, read as the services box reads them. */
export function s3SettingsOf(server: TestS3Server, prefix: string): S3BlobStoreSettings {
  const settings = settingsFrom({
    GYRE_BLOB_STORE: `s3://${server.bucket}${prefix ? `/${prefix}` : ''}`,
    GYRE_S3_ENDPOINT: server.endpoint,
    GYRE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    GYRE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    GYRE_S3_FORCE_PATH_STYLE: 'true',
  }).blobStore;
  if (settings.kind !== 's3') throw new Error(`GYRE_BLOB_STORE gave a ${settings.kind} store, not S3`);
  return settings;
}
