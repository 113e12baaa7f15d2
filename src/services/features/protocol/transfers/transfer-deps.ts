/**
 * What the transfer routes need: the lease check, the blob store, the rows that name blobs, and
 * the size limits an administrator set.
 */
import type { BlobStore, StoredBlob } from '../../../blobs/blob-store.js';
import type { JobStore } from '../../../stores/jobs/job-store.js';

export interface TransferLimits {
  readonly cacheBytes: number;
  readonly workspaceLayerBytes: number;
  /** For all the artifacts of one `store_artifacts` step together. */
  readonly artifactBytes: number;
  readonly testResultBytes: number;
}

export interface TransferDeps {
  readonly jobs: Pick<JobStore, 'leasedJobProject'>;
  readonly blobs: BlobStore;
  readonly caches: {
    find(projectId: number, keys: readonly string[]): Promise<(StoredBlob & { key: string }) | undefined>;
    save(projectId: number, key: string, blob: StoredBlob): Promise<'saved' | 'exists'>;
  };
  readonly workspaces: {
    addLayer(jobId: number, attempt: number, blob: StoredBlob): Promise<void>;
    layersFor(jobId: number): Promise<readonly (StoredBlob & { job: string })[]>;
  };
  readonly artifacts: {
    add(
      jobId: number,
      attempt: number,
      artifact: { path: string; blob: StoredBlob; contentType: string },
    ): Promise<void>;
  };
  readonly testResults: {
    record(
      jobId: number,
      attempt: number,
      files: AsyncIterable<{ path: string; content: Buffer }>,
    ): Promise<{ totals: { tests: number; failures: number; errors: number }; warnings: readonly string[] }>;
  };
  readonly transferLimits: TransferLimits;
}
