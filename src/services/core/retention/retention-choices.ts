/**
 * What the retention sweeper removes, decided without I/O: the caches to evict to bring their
 * total under a limit (least recently used first), the moment before which rows count as expired,
 * and the blobs no row names that are old enough not to belong to an upload in flight (a blob is
 * stored before the row that names it).
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows created before the returned time are `days` old or more. */
export function expiryCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** A cache as eviction weighs it. */
export interface CacheUse {
  readonly id: number;
  readonly size: number;
  readonly lastUsedAt: Date;
}

/**
 * The caches to evict so that the others add up to at most `maxTotalBytes`: the least recently
 * used first (the older id first among equals), and no more than needed.
 */
export function cachesToEvict(caches: readonly CacheUse[], maxTotalBytes: number): CacheUse[] {
  let total = caches.reduce((sum, cache) => sum + cache.size, 0);
  const evicted: CacheUse[] = [];
  const leastRecentFirst = [...caches].sort((a, b) => a.lastUsedAt.getTime() - b.lastUsedAt.getTime() || a.id - b.id);
  for (const cache of leastRecentFirst) {
    if (total <= maxTotalBytes) break;
    evicted.push(cache);
    total -= cache.size;
  }
  return evicted;
}

/** A blob as the store lists it. */
export interface ListedBlob {
  readonly digest: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

/**
 * The blobs to delete: those no row names, last written more than `graceMs` ago. A younger
 * blob may be an upload whose row is not written yet (or the same bytes stored again for one).
 */
export function orphansOf(
  blobs: readonly ListedBlob[],
  named: ReadonlySet<string>,
  now: Date,
  graceMs: number,
): ListedBlob[] {
  return blobs.filter((blob) => !named.has(blob.digest) && now.getTime() - blob.modifiedAt.getTime() > graceMs);
}
