/**
 * The retention sweeper: on a timer, removes the caches, artifacts and workspace layers past the
 * administrator's retention settings, evicts the least recently used caches over the total size,
 * and then deletes the blobs no row names any more. A blob is stored before the row that names
 * it, so only blobs untouched for an hour are deleted: an upload in flight keeps its bytes.
 *
 * Each step is safe to repeat and to run in several services processes at once (a row or blob
 * already gone is no error), so a pass that fails half way is simply finished by the next.
 */
import type { Logger } from 'pino';
import type { RetentionSettings } from '../../../config/index.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import { cachesToEvict, expiryCutoff, orphansOf, type ListedBlob } from '../../core/retention/retention-choices.js';
import type { BlobDeletionLock } from '../../stores/backup/blob-deletion-lock.js';
import type { ArtifactStore } from '../../stores/artifacts/artifact-store.js';
import type { CacheStore } from '../../stores/caches/cache-store.js';
import type { WorkspaceStore } from '../../stores/workspaces/workspace-store.js';
import { repeatPasses, type RepeatedPasses } from '../../../shared/repeat-passes.js';

/** How long a blob no row names is kept: far longer than an upload takes to write its row. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** Blobs whose names are checked in one query per table. */
const NAME_CHECK_BATCH = 500;
/** Removed things named in one log line; the line counts all of them. */
const LOGGED_ITEMS = 100;

export interface RetentionSweeperDeps {
  readonly caches: Pick<CacheStore, 'removeSavedBefore' | 'usage' | 'evict' | 'named'>;
  readonly workspaces: Pick<WorkspaceStore, 'removeOfPipelinesBefore' | 'named'>;
  readonly artifacts: Pick<ArtifactStore, 'removeStoredBefore' | 'named'>;
  readonly blobs: BlobStore;
  /** Held while blobs are deleted, so none vanishes from under a backup that is copying it. */
  readonly blobDeletion: BlobDeletionLock;
  readonly retention: RetentionSettings;
  readonly logger: Logger;
  /** @default the system clock */
  readonly now?: () => Date;
}

export interface SweepReport {
  readonly expiredCaches: number;
  readonly evictedCaches: number;
  readonly artifacts: number;
  readonly workspaceLayers: number;
  readonly orphanBlobs: number;
  readonly orphanBytes: number;
  /** A backup was copying blobs, so this pass deleted none; the next one will. */
  readonly blobDeletionDeferred: boolean;
}

/** One pass: rows past retention, caches over the total, then blobs nothing names. */
export async function sweepOnce(deps: RetentionSweeperDeps): Promise<SweepReport> {
  const now = (deps.now ?? (() => new Date()))();
  const { retention, logger } = deps;

  const expired = await deps.caches.removeSavedBefore(expiryCutoff(now, retention.cacheMaxAgeDays));
  logRemoved(logger, 'caches', `saved over ${retention.cacheMaxAgeDays} days ago`, expired, (c) => ({
    projectId: c.projectId,
    key: c.key,
    size: c.size,
  }));

  let evicted: Awaited<ReturnType<CacheStore['evict']>> = [];
  if (retention.cacheMaxTotalBytes !== undefined) {
    const usage = await deps.caches.usage();
    const chosen = cachesToEvict(usage.caches, retention.cacheMaxTotalBytes);
    evicted = await deps.caches.evict(
      chosen.map((cache) => cache.id),
      usage.readAt,
    );
    logRemoved(
      logger,
      'caches',
      `least recently used, over the total of ${retention.cacheMaxTotalBytes} bytes`,
      evicted,
      (c) => ({ projectId: c.projectId, key: c.key, size: c.size }),
    );
  }

  const cutoff = expiryCutoff(now, retention.artifactMaxAgeDays);
  const artifacts = await deps.artifacts.removeStoredBefore(cutoff);
  logRemoved(logger, 'artifacts', `stored over ${retention.artifactMaxAgeDays} days ago`, artifacts, (a) => ({
    jobId: a.jobId,
    attempt: a.attempt,
    path: a.path,
    size: a.size,
  }));
  const layers = await deps.workspaces.removeOfPipelinesBefore(cutoff);
  logRemoved(logger, 'workspace layers', `of pipelines over ${retention.artifactMaxAgeDays} days old`, layers, (l) => ({
    pipelineId: l.pipelineId,
    jobId: l.jobId,
    attempt: l.attempt,
    size: l.size,
  }));

  const { deleted: orphans, deferred } = await deleteOrphans(deps, now);
  if (deferred) logger.info('blobs no row names are kept this pass: a backup is copying blobs');
  logRemoved(logger, 'blobs', 'no cache, workspace layer or artifact names them', orphans, (b) => ({
    digest: b.digest,
    size: b.size,
    modifiedAt: b.modifiedAt.toISOString(),
  }));

  return {
    expiredCaches: expired.length,
    evictedCaches: evicted.length,
    artifacts: artifacts.length,
    workspaceLayers: layers.length,
    orphanBlobs: orphans.length,
    orphanBytes: orphans.reduce((sum, blob) => sum + blob.size, 0),
    blobDeletionDeferred: deferred,
  };
}

/**
 * Walks the blob store, deleting the blobs no row names that are past the grace period. The
 * deletions, and only they, hold the blob deletion lock (so an idle install costs no statement
 * for it): a backup's snapshot, taken under the lock, is either before them, when no row named
 * them any more, or after them; a backup holding it defers them to the next pass.
 */
async function deleteOrphans(
  deps: RetentionSweeperDeps,
  now: Date,
): Promise<{ deleted: ListedBlob[]; deferred: boolean }> {
  const deleted: ListedBlob[] = [];
  let deferred = false;
  let batch: ListedBlob[] = [];
  const flush = async () => {
    const digests = batch.map((blob) => blob.digest);
    const named = await Promise.all([
      deps.caches.named(digests),
      deps.workspaces.named(digests),
      deps.artifacts.named(digests),
    ]);
    const namedByAny = new Set(named.flatMap((set) => [...set]));
    const orphans = orphansOf(batch, namedByAny, now, ORPHAN_GRACE_MS);
    batch = [];
    if (orphans.length === 0 || deferred) return;
    const done = await deps.blobDeletion.whileNoBackup(async () => {
      for (const orphan of orphans) {
        await deps.blobs.delete(orphan.digest);
        deleted.push(orphan);
      }
    });
    deferred = done === 'busy';
  };
  for await (const blob of deps.blobs.list()) {
    batch.push(blob);
    if (batch.length >= NAME_CHECK_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return { deleted, deferred };
}

/** One log line for what a step removed: how many, how many bytes, and which (the first hundred). */
function logRemoved<T extends { readonly size: number }>(
  logger: Logger,
  what: string,
  why: string,
  removed: readonly T[],
  describe: (item: T) => object,
): void {
  if (removed.length === 0) return;
  logger.info(
    {
      removed: what,
      count: removed.length,
      bytes: removed.reduce((sum, item) => sum + item.size, 0),
      items: removed.slice(0, LOGGED_ITEMS).map(describe),
    },
    `removed ${removed.length} ${what}: ${why}`,
  );
}

export interface RetentionSweeperOptions {
  /** Between passes. @default one hour */
  readonly intervalMs?: number;
  /** Before the first pass, so that starting the services box stays quick. @default one minute */
  readonly firstAfterMs?: number;
}

/** Runs {@link sweepOnce} now and then until stopped; a failed pass is logged and the next one tries again. */
export function startRetentionSweeper(
  deps: RetentionSweeperDeps,
  options: RetentionSweeperOptions = {},
): RepeatedPasses {
  return repeatPasses(
    () => sweepOnce(deps),
    (error) => deps.logger.error({ err: error }, 'retention sweep failed; the next pass tries again'),
    { intervalMs: options.intervalMs ?? 60 * 60 * 1000, firstAfterMs: options.firstAfterMs ?? 60 * 1000 },
  );
}
