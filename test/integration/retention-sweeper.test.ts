import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { StoredBlob } from '../../src/services/blobs/blob-store.js';
import type { Database } from '../../src/services/database/create-pool.js';
import {
  startRetentionSweeper,
  sweepOnce,
  type RetentionSweeperDeps,
} from '../../src/services/features/retention/retention-sweeper.js';
import { openBackupSnapshot } from '../../src/services/stores/backup/backup-snapshot.js';
import { PostgresBlobDeletionLock } from '../../src/services/stores/backup/blob-deletion-lock.js';
import { ArtifactStore } from '../../src/services/stores/artifacts/artifact-store.js';
import { CacheStore } from '../../src/services/stores/caches/cache-store.js';
import { WorkspaceStore } from '../../src/services/stores/workspaces/workspace-store.js';
import { insertProject, projectCaches, recordAttempt, workflowOf } from '../support/job-data.js';
import { MemoryBlobStore } from '../support/memory-blob-store.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';
import { until } from '../support/until.js';

// GIVEN Gyre's PostgreSQL with caches, workspace layers and artifacts of every age, and an
// in-memory blob store holding their blobs and blobs nothing names, WHEN the retention sweeper
// runs, THEN it removes what the settings say is past retention, then the blobs no row names that
// are over an hour old, and logs what it removed.

const HOUR = 60 * 60 * 1000;
interface LogLine {
  readonly msg: string;
  readonly removed?: string;
  readonly count?: number;
  readonly bytes?: number;
  readonly items?: Record<string, unknown>[];
}

let database: MigratedDatabase;
let db: Database;
const logLines: LogLine[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as LogLine) });

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
}, 180_000);

afterAll(async () => {
  await database?.stop();
}, 60_000);

/** A blob store whose puts can be dated in the past. */
function datedBlobs() {
  let clock = Date.now();
  const blobs = new MemoryBlobStore(() => new Date(clock));
  return {
    blobs,
    /** Stores `text` as if written `agoMs` ago. */
    put: async (text: string, agoMs = 2 * HOUR): Promise<StoredBlob> => {
      clock = Date.now() - agoMs;
      return blobs.putBytes(text);
    },
  };
}

function depsOf(blobs: MemoryBlobStore, cacheMaxTotalBytes?: number): RetentionSweeperDeps {
  return {
    caches: new CacheStore(db),
    workspaces: new WorkspaceStore(db),
    artifacts: new ArtifactStore(db),
    blobs,
    blobDeletion: new PostgresBlobDeletionLock(db),
    retention: { cacheMaxAgeDays: 15, artifactMaxAgeDays: 30, ...(cacheMaxTotalBytes && { cacheMaxTotalBytes }) },
    logger,
  };
}

const backdate = (table: string, column: string, days: number, where: string, params: unknown[]) =>
  db.query(`UPDATE ${table} SET ${column} = now() - make_interval(days => ${days}) WHERE ${where}`, params);

/** A cache store whose first removal fails, as when the database goes away for a moment. */
class CacheStoreFailingOnce extends CacheStore {
  #failures = 1;
  override removeSavedBefore(cutoff: Date) {
    if (this.#failures-- > 0) return Promise.reject(new Error('database gone'));
    return super.removeSavedBefore(cutoff);
  }
}

describe('the retention sweeper', () => {
  it('removes rows past retention, then the blobs no row names that are over an hour old', async () => {
    const { blobs, put } = datedBlobs();
    const caches = new CacheStore(db);
    const artifacts = new ArtifactStore(db);
    const workspaces = new WorkspaceStore(db);
    const project = await insertProject(db, 'acme/retention');

    // GIVEN a cache saved 16 days ago (though restored since) and one saved 14 days ago
    const expiredCache = await put('expired cache');
    await caches.save(projectCaches(project), 'v1-old', expiredCache);
    await backdate('caches', 'created_at', 16, 'project_id = $1 AND key = $2', [project, 'v1-old']);
    const keptCache = await put('kept cache');
    await caches.save(projectCaches(project), 'v1-new', keptCache);
    await backdate('caches', 'created_at', 14, 'project_id = $1 AND key = $2', [project, 'v1-new']);

    // AND a pipeline of 31 days ago with a layer and an artifact, and one of today with the same
    const old = await workflowOf(db, project, [{ name: 'build' }]);
    await backdate('pipelines', 'created_at', 31, 'id = $1', [old.pipelineId]);
    const recent = await workflowOf(db, project, [{ name: 'build' }]);
    for (const run of [old, recent]) await recordAttempt(db, run.ids['build']!, 1, 'success');
    const oldLayer = await put('old layer');
    await workspaces.addLayer(old.ids['build']!, 1, oldLayer);
    const recentLayer = await put('recent layer');
    await workspaces.addLayer(recent.ids['build']!, 1, recentLayer);
    const oldArtifact = await put('old artifact');
    await artifacts.add(old.ids['build']!, 1, { path: 'old.txt', blob: oldArtifact, contentType: 'text/plain' });
    await backdate('artifacts', 'created_at', 31, 'job_id = $1', [old.ids['build']]);
    const recentArtifact = await put('recent artifact');
    await artifacts.add(recent.ids['build']!, 1, { path: 'new.txt', blob: recentArtifact, contentType: 'text/plain' });
    // AND the expired cache's bytes also stored as a recent artifact: that row keeps the blob
    await artifacts.add(recent.ids['build']!, 1, { path: 'shared.txt', blob: expiredCache, contentType: 'text/plain' });

    // AND blobs no row names: one written two hours ago, one a minute ago (an upload in flight)
    const orphan = await put('orphan');
    const inFlight = await put('in flight', 60 * 1000);

    // WHEN the sweeper runs
    logLines.length = 0;
    const report = await sweepOnce(depsOf(blobs));

    // THEN rows past retention are gone, and the others stay
    expect(report).toEqual({
      expiredCaches: 1,
      evictedCaches: 0,
      artifacts: 1,
      workspaceLayers: 1,
      orphanBlobs: 3,
      orphanBytes: oldLayer.size + oldArtifact.size + orphan.size,
      blobDeletionDeferred: false,
    });
    expect((await caches.find(projectCaches(project), ['v1-']))?.key).toBe('v1-new');
    expect(await caches.find(projectCaches(project), ['v1-old'])).toBeUndefined();
    expect(await workspaces.named([oldLayer.digest, recentLayer.digest])).toEqual(new Set([recentLayer.digest]));
    expect(await artifacts.list(old.ids['build']!)).toEqual({ attempt: null, items: [] });
    // AND so are the blobs no row names any more, but the one in flight
    expect(blobs.digests()).toEqual(
      [keptCache, recentLayer, recentArtifact, expiredCache, inFlight].map((b) => b.digest).sort(),
    );
    // AND each removal is logged with what it removed
    expect(logLines.map((line) => [line.msg, line.count])).toEqual([
      ['removed 1 caches: saved over 15 days ago', 1],
      ['removed 1 artifacts: stored over 30 days ago', 1],
      ['removed 1 workspace layers: of pipelines over 30 days old', 1],
      ['removed 3 blobs: no cache, workspace layer or artifact names them', 3],
    ]);
    expect(logLines[0]?.items).toEqual([{ projectId: project, key: 'v1-old', size: expiredCache.size }]);
    expect(logLines[1]?.items).toEqual([
      { jobId: old.ids['build'], attempt: 1, path: 'old.txt', size: oldArtifact.size },
    ]);
    expect(logLines[2]?.items).toEqual([
      { pipelineId: old.pipelineId, jobId: old.ids['build'], attempt: 1, size: oldLayer.size },
    ]);

    // WHEN it runs again, THEN there is nothing left to remove
    expect(await sweepOnce(depsOf(blobs))).toMatchObject({ expiredCaches: 0, artifacts: 0, orphanBlobs: 0 });
  });

  it('deletes no blob while a backup holds its snapshot, which names every blob a row names, and does once it closes', async () => {
    const { blobs, put } = datedBlobs();
    const caches = new CacheStore(db);
    const project = await insertProject(db, 'acme/backup-during-sweep');
    const cached = await put('cached for the backup');
    await caches.save(projectCaches(project), 'v1-backup', cached);
    const orphan = await put('an orphan the backup does not need');

    // GIVEN a backup's snapshot, open
    const snapshot = await openBackupSnapshot(db);
    // THEN it names the cache's blob with its size, and counts the rows it saw
    expect(snapshot.contents.blobs).toContainEqual({ digest: cached.digest, size: cached.size });
    expect(snapshot.contents.blobs.map((b) => b.digest)).not.toContain(orphan.digest);
    expect(snapshot.contents.tables['caches']).toBe(
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM caches')).rows[0]!.n),
    );
    expect(snapshot.contents.snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);

    // WHEN the cache expires and the sweeper runs while the snapshot is open
    await backdate('caches', 'created_at', 16, 'project_id = $1', [project]);
    logLines.length = 0;
    const during = await sweepOnce(depsOf(blobs));
    // THEN the row goes, but no blob: the backup may still be copying the cache's
    expect(during).toMatchObject({ expiredCaches: 1, orphanBlobs: 0, blobDeletionDeferred: true });
    expect(blobs.digests()).toEqual(expect.arrayContaining([cached.digest, orphan.digest]));
    expect(logLines.map((line) => line.msg)).toContain(
      'blobs no row names are kept this pass: a backup is copying blobs',
    );

    // WHEN the backup closes its snapshot, THEN the next pass deletes both
    await snapshot.close();
    const after = await sweepOnce(depsOf(blobs));
    expect(after).toMatchObject({ blobDeletionDeferred: false });
    expect(blobs.digests()).not.toEqual(expect.arrayContaining([cached.digest]));
    expect(blobs.digests()).not.toContain(orphan.digest);
  });

  it('evicts the least recently restored caches over the total size, and no more', async () => {
    const { blobs, put } = datedBlobs();
    const caches = new CacheStore(db);
    const project = await insertProject(db, 'acme/eviction');
    await db.query('DELETE FROM caches');
    // GIVEN three caches of 10 bytes, restored 3, 2 and 1 days ago
    const saved: StoredBlob[] = [];
    for (const [key, days] of [
      ['v1-a', 3],
      ['v1-b', 2],
      ['v1-c', 1],
    ] as const) {
      saved.push(await put(key.padEnd(10, '.')));
      await caches.save(projectCaches(project), key, saved.at(-1)!);
      await backdate('caches', 'last_used_at', days, 'project_id = $1 AND key = $2', [project, key]);
    }
    // AND v1-a restored just now
    await caches.find(projectCaches(project), ['v1-a']);
    // WHEN the sweeper keeps caches to 25 bytes in all
    const report = await sweepOnce(depsOf(blobs, 25));
    // THEN v1-b goes, the least recently restored, and the others stay
    expect(report).toMatchObject({ evictedCaches: 1, orphanBlobs: 1, orphanBytes: 10 });
    expect(await caches.find(projectCaches(project), ['v1-b'])).toBeUndefined();
    expect(blobs.digests()).toEqual([saved[0]!.digest, saved[2]!.digest].sort());
    expect(logLines.find((line) => line.msg.includes('least recently used'))?.items).toEqual([
      { projectId: project, key: 'v1-b', size: 10 },
    ]);
  });

  it('runs on a timer until stopped, and a failed pass does not stop the next', async () => {
    const { blobs, put } = datedBlobs();
    const sweeper = startRetentionSweeper(
      { ...depsOf(blobs), caches: new CacheStoreFailingOnce(db) },
      { firstAfterMs: 0, intervalMs: 20 },
    );
    try {
      const orphan = await put('swept on a timer');
      await until('the orphan swept', () => !blobs.digests().includes(orphan.digest));
      expect(logLines.some((line) => line.msg === 'retention sweep failed; the next pass tries again')).toBe(true);
    } finally {
      await sweeper.stop();
    }
    // AND once stopped, nothing more is swept
    const kept = await put('after the stop');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(blobs.digests()).toContain(kept.digest);
  });
});
