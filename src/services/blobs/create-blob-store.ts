/**
 * Chooses the blob store GYRE_BLOB_STORE names: files under the data folder, or an S3 bucket
 * through a client built from the GYRE_S3_* settings.
 */
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStoreSettings, S3BlobStoreSettings } from '../../config/index.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** Where a file store keeps its blobs under the data folder. */
export function fileBlobRoot(dataDir: string): string {
  return join(dataDir, 'blobs');
}

/** The blob store of these settings; a file store lives in {@link fileBlobRoot}. */
export function createBlobStore(settings: BlobStoreSettings, dataDir: string): BlobStore {
  if (settings.kind === 'file') return new FileBlobStore(fileBlobRoot(dataDir));
  return new S3BlobStore(createS3Client(settings), settings);
}

/** The S3 client of a store's settings (exported for tests that look into the bucket). */
export function createS3Client(settings: S3BlobStoreSettings): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint && { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // The SDK's default CRC32 checksums send bodies aws-chunked with trailers, which many
    // S3-compatible servers store verbatim or refuse. Blobs are named by their sha256 anyway, so
    // checksums are sent only where S3 requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
