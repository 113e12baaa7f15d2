/**
 * Chooses the blob store GYRE_BLOB_STORE names: files under the data folder, or an S3 bucket
 * through a client built from the GYRE_S3_* settings.
 */
import { join } from 'node:path';
import type { BlobStoreSettings } from '../../config/index.js';
import { createS3Client } from '../../shared/s3-client.js';
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
