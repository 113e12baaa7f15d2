/**
 * The runner's port to the services box for the steps that move data between jobs. The agent
 * implements it over the builder protocol, scoped to the job's lease; unit tests use a fake. Bodies
 * are zstd-compressed tar streams and are never held whole in memory.
 */
import type { Readable } from 'node:stream';

/** A cache as the services box found it. */
export interface FoundCache {
  readonly key: string;
  readonly size: number;
}

/** One upstream job's workspace layer. */
export interface WorkspaceLayer {
  /** The upstream job's name, for the log. */
  readonly job: string;
  readonly digest: string;
  readonly size: number;
}

/** What the services box made of a job's test results. */
export interface TestResultsReceipt {
  readonly tests: number;
  readonly failures: number;
  /** Files it could not read, each naming the file: shown in the step's log, never failing it. */
  readonly warnings: readonly string[];
}

export interface DataTransfers {
  /** The first cache of the project for `keys` (exact key, else the newest by prefix, key by key). */
  findCache(keys: readonly string[]): Promise<FoundCache | undefined>;
  downloadCache(key: string): Promise<Readable>;
  /** `exists` when the key was taken: caches are immutable. */
  uploadCache(key: string, body: Readable): Promise<'saved' | 'exists'>;
  /** This job's layer of its workflow's workspace. */
  uploadWorkspaceLayer(body: Readable): Promise<void>;
  /** The layers of every upstream job, in the order they are unpacked (a later one wins). */
  workspaceLayers(): Promise<readonly WorkspaceLayer[]>;
  downloadWorkspaceLayer(digest: string): Promise<Readable>;
  /** Each file of the archive becomes one artifact, named by its path in the archive. */
  uploadArtifacts(body: Readable): Promise<{ readonly files: number; readonly bytes: number }>;
  uploadTestResults(body: Readable): Promise<TestResultsReceipt>;
}
