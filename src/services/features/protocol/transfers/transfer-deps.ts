/**
 * What the transfer routes need: the lease check, the blob store, the rows that name blobs, and
 * the size limits an administrator set.
 */
import type { TestTiming } from '../../../../protocol/index.js';
import type { TransferLimitSettings } from '../../../../config/index.js';
import type { BlobStore, StoredBlob } from '../../../blobs/blob-store.js';
import type { CacheScope } from '../../../stores/caches/cache-store.js';
import type { JobStore } from '../../../stores/jobs/job-store.js';

/** The limits an administrator set, and the one for test results, which are read into memory to be parsed. */
export type TransferLimits = TransferLimitSettings & { readonly testResultBytes: number };

/**
 * The JUnit reports of one `store_test_results` step together. They are parsed in memory, and
 * a large suite's reports are a few megabytes; this is far above that and bounds the memory.
 */
export const TEST_RESULTS_MAX_BYTES = 64 * 1024 * 1024;

export interface TransferDeps {
  readonly jobs: Pick<JobStore, 'leasedJobProject'>;
  readonly blobs: BlobStore;
  readonly caches: {
    find(scope: CacheScope, keys: readonly string[]): Promise<(StoredBlob & { key: string }) | undefined>;
    save(scope: CacheScope, key: string, blob: StoredBlob): Promise<'saved' | 'exists'>;
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
      files: Iterable<{ path: string; content: Buffer }>,
    ): Promise<{ totals: { tests: number; failures: number; errors: number }; warnings: readonly string[] }>;
    /** Timings a job with `parallelism` splits its tests by. */
    timingsFor(jobId: number): Promise<readonly TestTiming[]>;
  };
  readonly transferLimits: TransferLimits;
}
