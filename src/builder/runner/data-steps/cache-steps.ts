/**
 * `save_cache` and `restore_cache`, CircleCI's way. A cache holds its paths by their absolute
 * names, so it unpacks where it was made. Caches are immutable: a key that exists is not saved
 * again, and the log says so. A path that does not exist is a warning; with none left, nothing is
 * saved. `restore_cache` finds nothing without failing: the job then builds without the cache.
 */
import type { Readable } from 'node:stream';
import { packSources, unpackAt, type ArchiveSource } from './archives.js';
import { renderCacheKey } from './cache-key.js';
import { resolveInContainer } from './container-paths.js';
import { linkedParents, packInHelper, unpackInHelper, uploading, withHelperOrEngine } from './tar-helper.js';
import { SUCCEEDED, type DataStepContext, type DataStepEnd } from './data-step-context.js';
import { formatRoundedByteSize } from '../../../shared/byte-size.js';
import type { RestoreCacheStep, SaveCacheStep } from '../types.js';

export async function saveCache(ctx: DataStepContext, step: SaveCacheStep): Promise<DataStepEnd> {
  const key = await renderCacheKey(ctx, step.key);
  const existing = await ctx.transfers.findCache([key]);
  if (existing?.key === key) {
    ctx.log(`Skipping cache generation: a cache already exists for key ${key} (caches are immutable)`);
    return SUCCEEDED;
  }
  const paths: string[] = [];
  for (const configured of step.paths) {
    const path = resolveInContainer(configured, ctx.places);
    if (await ctx.backend.hasPath(ctx.primary, path)) paths.push(path);
    else ctx.log(`Warning: ${path} does not exist; it is not in the cache`);
  }
  if (paths.length === 0) {
    ctx.log(`No paths to cache: nothing was saved for key ${key}`);
    return SUCCEEDED;
  }
  ctx.log(`Creating cache ${key} of ${paths.join(', ')}`);
  const upload = (body: Readable) => uploading(body, (b) => ctx.transfers.uploadCache(key, b));
  const saved = await withHelperOrEngine(
    ctx,
    'the cache',
    {
      helper: (helper) =>
        upload(
          // `/` itself is `.` to tar, which takes no empty name.
          packInHelper(
            ctx,
            helper,
            '/',
            paths.map((path) => path.slice(1) || '.'),
          ),
        ),
      engine: () => upload(packSources(ctx.backend, ctx.primary, sourcesOf(paths), () => undefined)),
    },
    async () => (await linkedParents(ctx, paths)).length === 0,
  );
  ctx.log(
    saved === 'saved'
      ? `Stored cache ${key}`
      : `Another job saved cache ${key} first; that one is kept (caches are immutable)`,
  );
  return SUCCEEDED;
}

export async function restoreCache(ctx: DataStepContext, step: RestoreCacheStep): Promise<DataStepEnd> {
  const keys: string[] = [];
  for (const template of step.keys) keys.push(await renderCacheKey(ctx, template));
  const found = await ctx.transfers.findCache(keys);
  if (found === undefined) {
    ctx.log(`No cache is found for keys: ${keys.join(', ')}`);
    return SUCCEEDED;
  }
  ctx.log(`Found a cache for key ${found.key} (${formatRoundedByteSize(found.size)}); restoring it`);
  const download = () => ctx.transfers.downloadCache(found.key);
  await withHelperOrEngine(ctx, 'the cache', {
    helper: async (helper) => unpackInHelper(ctx, helper, '/', await download()),
    engine: async () => unpackAt(ctx.backend, ctx.primary, '/', await download(), ctx.owner),
  });
  ctx.log(`Restored cache ${found.key}`);
  return SUCCEEDED;
}

/** Cache paths keep their absolute names, without the leading `/`. */
function sourcesOf(paths: readonly string[]): ArchiveSource[] {
  return paths.map((path) => ({ path, name: path.slice(1) }));
}
