import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StoredBlob } from '../../src/services/blobs/blob-store.js';
import type { Database } from '../../src/services/database/create-pool.js';
import { ArtifactStore } from '../../src/services/stores/artifacts/artifact-store.js';
import { CacheStore } from '../../src/services/stores/caches/cache-store.js';
import { WorkspaceStore } from '../../src/services/stores/workspaces/workspace-store.js';
import { InvalidInputError, NotFoundError } from '../../src/shared/errors.js';
import { insertProject, projectCaches, recordAttempt, workflowOf } from '../support/job-data.js';
import { MemoryBlobStore } from '../support/memory-blob-store.js';
import { startMigratedDatabase, type MigratedDatabase } from '../support/postgres.js';

// GIVEN Gyre's PostgreSQL with its schema, the cache, workspace and artifact stores on it, and
// blobs from an in-memory blob store, WHEN jobs save and find caches, persist and attach
// workspaces and store artifacts, THEN each store answers as CircleCI's steps expect.

let database: MigratedDatabase;
let db: Database;
let caches: CacheStore;
let workspaces: WorkspaceStore;
let artifacts: ArtifactStore;
const blobs = new MemoryBlobStore();
const blob = (text: string): Promise<StoredBlob> => blobs.putBytes(text);

beforeAll(async () => {
  database = await startMigratedDatabase();
  db = database.db;
  caches = new CacheStore(db);
  workspaces = new WorkspaceStore(db);
  artifacts = new ArtifactStore(db);
}, 180_000);

afterAll(async () => {
  await database?.stop();
}, 60_000);

describe('caches', () => {
  it('finds an exact key before a newer prefix match, else the newest prefix match, key by key', async () => {
    // GIVEN caches saved in this order: v1-deps, v1-deps-aaa, v1-deps-bbb
    const project = projectCaches(await insertProject(db, 'acme/caches'));
    const saved: Record<string, StoredBlob> = {};
    for (const key of ['v1-deps', 'v1-deps-aaa', 'v1-deps-bbb']) {
      saved[key] = await blob(`cache ${key}`);
      expect(await caches.save(project, key, saved[key])).toBe('saved');
    }
    // THEN the exact key wins over newer caches it is a prefix of
    expect(await caches.find(project, ['v1-deps'])).toEqual({ key: 'v1-deps', ...saved['v1-deps'] });
    // AND a prefix gets the newest cache starting with it
    expect((await caches.find(project, ['v1-deps-']))?.key).toBe('v1-deps-bbb');
    expect((await caches.find(project, ['v1-']))?.key).toBe('v1-deps-bbb');
    // AND the first key that finds a cache wins, even over a newer match of a later key
    expect((await caches.find(project, ['v2-deps', 'v1-deps-aaa', 'v1-']))?.key).toBe('v1-deps-aaa');
    expect(await caches.find(project, ['v2-', 'v3'])).toBeUndefined();
  });

  it("never finds another project's cache", async () => {
    // GIVEN two projects with caches under the same prefix, the other project's newest
    const mine = projectCaches(await insertProject(db, 'acme/mine'));
    const theirs = projectCaches(await insertProject(db, 'acme/theirs'));
    await caches.save(mine, 'deps-1', await blob('mine'));
    await caches.save(theirs, 'deps-2', await blob('theirs'));
    await caches.save(theirs, 'only-theirs', await blob('theirs only'));
    // THEN each finds its own
    expect((await caches.find(mine, ['deps-']))?.key).toBe('deps-1');
    expect((await caches.find(theirs, ['deps-']))?.key).toBe('deps-2');
    expect(await caches.find(mine, ['only-theirs', 'only'])).toBeUndefined();
  });

  it("keeps a fork's caches apart from the project's and from other forks', both ways", async () => {
    // GIVEN a project's trusted cache and a cache saved by a fork's pull request under the same prefix
    const trusted = projectCaches(await insertProject(db, 'acme/forked'));
    const mallory = { projectId: trusted.projectId, partition: 'fork:mallory/forked' };
    const eve = { projectId: trusted.projectId, partition: 'fork:eve/forked' };
    await caches.save(trusted, 'deps-1', await blob('trusted'));
    expect(await caches.save(mallory, 'deps-1', await blob('poisoned'))).toBe('saved');
    await caches.save(mallory, 'deps-2', await blob('newer, poisoned'));
    // THEN trusted builds restore only the project's cache, though the fork's is newer
    expect(await caches.find(trusted, ['deps-1'])).toEqual({ key: 'deps-1', ...(await blob('trusted')) });
    expect((await caches.find(trusted, ['deps-']))?.key).toBe('deps-1');
    // AND the fork restores its own, and another fork neither
    expect(await caches.find(mallory, ['deps-1'])).toEqual({ key: 'deps-1', ...(await blob('poisoned')) });
    expect(await caches.find(eve, ['deps-'])).toBeUndefined();
  });

  it('takes % and _ in a key as themselves, not as patterns', async () => {
    const project = projectCaches(await insertProject(db, 'acme/patterns'));
    await caches.save(project, 'v1_linux', await blob('linux'));
    await caches.save(project, 'v1%x', await blob('percent'));
    expect(await caches.find(project, ['v1%'])).toMatchObject({ key: 'v1%x' });
    expect(await caches.find(project, ['v1_'])).toMatchObject({ key: 'v1_linux' });
    expect(await caches.find(project, ['v_', '%', 'v1\\'])).toBeUndefined();
  });

  it('marks a found cache used', async () => {
    const project = projectCaches(await insertProject(db, 'acme/touch'));
    await caches.save(project, 'k', await blob('touched'));
    await db.query("UPDATE caches SET last_used_at = now() - interval '3 days' WHERE project_id = $1", [
      project.projectId,
    ]);
    await caches.find(project, ['k']);
    const row = await db.query<{ recent: boolean }>(
      "SELECT last_used_at > now() - interval '1 minute' AS recent FROM caches WHERE project_id = $1",
      [project.projectId],
    );
    expect(row.rows[0]?.recent).toBe(true);
  });

  it('never overwrites a key: of many saves of one key at once, exactly one is saved and it stays', async () => {
    // GIVEN a cache key saved by 12 jobs at once, each with bytes of its own
    const project = projectCaches(await insertProject(db, 'acme/race'));
    const contents = await Promise.all(Array.from({ length: 12 }, (_, n) => blob(`contender ${n}`)));
    const outcomes = await Promise.all(contents.map((content) => caches.save(project, 'v1-race', content)));
    // THEN one is saved and the others are told the key exists
    expect(outcomes.filter((outcome) => outcome === 'saved')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'exists')).toHaveLength(11);
    const winner = contents[outcomes.indexOf('saved')]!;
    expect(await caches.find(project, ['v1-race'])).toEqual({ key: 'v1-race', ...winner });
    // AND a later save does not replace it
    expect(await caches.save(project, 'v1-race', await blob('late'))).toBe('exists');
    expect((await caches.find(project, ['v1-race']))?.digest).toBe(winner.digest);
  });
});

describe('workspaces', () => {
  const diamond = [
    { name: 'checkout' },
    { name: 'lint', requires: ['checkout'] },
    { name: 'build', requires: ['checkout'] },
    { name: 'docs' },
    { name: 'test', requires: ['build', 'lint'] },
    { name: 'deploy', requires: ['test'] },
  ];

  /** Runs the diamond's upstream jobs, each persisting a layer but lint; returns the layers by job. */
  async function runDiamond(project: number, run: string) {
    const { ids, pipelineId } = await workflowOf(db, project, diamond);
    const layers: Record<string, StoredBlob> = {};
    for (const name of ['checkout', 'build', 'docs', 'test']) {
      layers[name] = await blob(`${run} ${name}`);
      await recordAttempt(db, ids[name]!, 1, 'success');
      await workspaces.addLayer(ids[name]!, 1, layers[name]);
    }
    await recordAttempt(db, ids['lint']!, 1, 'success');
    return { ids, layers, pipelineId };
  }

  it('gives a job the layers of every job it requires, directly or not, each after the layers of its own requirements', async () => {
    // GIVEN checkout → (lint, build) → test → deploy, with docs beside them; lint persisted nothing
    const project = await insertProject(db, 'acme/diamond');
    const { ids, layers } = await runDiamond(project, 'first');
    // THEN deploy attaches checkout's, build's and test's layers, in that order, and not docs'
    expect(await workspaces.layersFor(ids['deploy']!)).toEqual(
      ['checkout', 'build', 'test'].map((job) => ({ job, jobId: ids[job], attempt: 1, ...layers[job] })),
    );
    expect((await workspaces.layersFor(ids['lint']!)).map((layer) => layer.job)).toEqual(['checkout']);
    expect(await workspaces.layersFor(ids['checkout']!)).toEqual([]);
  });

  it("takes an upstream job's layers from its attempt that succeeded, one per persisting step, in order", async () => {
    // GIVEN build's first attempt persisting a layer and then lost to the infrastructure, its
    // second attempt succeeding after persisting twice, the first upload retried
    const project = await insertProject(db, 'acme/retries');
    const { ids } = await workflowOf(db, project, [{ name: 'build' }, { name: 'test', requires: ['build'] }]);
    await recordAttempt(db, ids['build']!, 1, null);
    await workspaces.addLayer(ids['build']!, 1, await blob('lost attempt'));
    await recordAttempt(db, ids['build']!, 1, 'infrastructure_failed');
    await recordAttempt(db, ids['build']!, 2, null);
    const first = await blob('first step');
    await workspaces.addLayer(ids['build']!, 2, first);
    await workspaces.addLayer(ids['build']!, 2, first);
    // WHILE the attempt still runs, nothing is attached
    expect(await workspaces.layersFor(ids['test']!)).toEqual([]);
    const second = await blob('second step');
    await workspaces.addLayer(ids['build']!, 2, second);
    await recordAttempt(db, ids['build']!, 2, 'success');
    // THEN test attaches the second attempt's layers, the retried upload once, in the steps' order
    expect(await workspaces.layersFor(ids['test']!)).toEqual([
      { job: 'build', jobId: ids['build'], attempt: 2, ...first },
      { job: 'build', jobId: ids['build'], attempt: 2, ...second },
    ]);
  });

  it('gives a retried job the same layers, and a rerun pipeline the layers of its own jobs', async () => {
    const project = await insertProject(db, 'acme/rerun');
    const first = await runDiamond(project, 'first');
    // GIVEN deploy's first attempt lost to the infrastructure and a second one leased
    await recordAttempt(db, first.ids['deploy']!, 1, 'infrastructure_failed');
    const before = await workspaces.layersFor(first.ids['deploy']!);
    await recordAttempt(db, first.ids['deploy']!, 2, null);
    // THEN the retry attaches the same layers
    expect(await workspaces.layersFor(first.ids['deploy']!)).toEqual(before);
    // GIVEN a rerun: a new pipeline of the same jobs, which persist other bytes
    const rerun = await runDiamond(project, 'rerun');
    expect(rerun.pipelineId).not.toBe(first.pipelineId);
    // THEN the rerun's deploy attaches its own pipeline's layers, and the first deploy still its own
    expect((await workspaces.layersFor(rerun.ids['deploy']!)).map((layer) => layer.digest)).toEqual(
      ['checkout', 'build', 'test'].map((job) => rerun.layers[job]!.digest),
    );
    expect(await workspaces.layersFor(first.ids['deploy']!)).toEqual(before);
  });

  it('refuses a job that does not exist', async () => {
    await expect(workspaces.layersFor(987_654)).rejects.toThrow(NotFoundError);
  });
});

describe('artifacts', () => {
  it("lists the newest attempt's artifacts by path with their sizes, and gets one by path", async () => {
    const project = await insertProject(db, 'acme/artifacts');
    const { ids } = await workflowOf(db, project, [{ name: 'build' }]);
    const job = ids['build']!;
    // GIVEN no artifact yet
    expect(await artifacts.list(job)).toEqual({ attempt: null, items: [] });
    // WHEN attempt 1 stores two files, one of them twice (a retried upload)
    await recordAttempt(db, job, 1, 'infrastructure_failed');
    const report = await blob('<html>report</html>');
    await artifacts.add(job, 1, { path: 'reports/index.html', blob: await blob('first'), contentType: 'text/html' });
    await artifacts.add(job, 1, { path: 'reports/index.html', blob: report, contentType: 'text/html' });
    await artifacts.add(job, 1, { path: 'app.tar.gz', blob: await blob('app'), contentType: 'application/gzip' });
    // THEN both are listed, by path, the second upload replacing the first
    const listed = await artifacts.list(job);
    expect(listed.attempt).toBe(1);
    expect(listed.items.map(({ path, size, contentType }) => ({ path, size, contentType }))).toEqual([
      { path: 'app.tar.gz', size: 3, contentType: 'application/gzip' },
      { path: 'reports/index.html', size: report.size, contentType: 'text/html' },
    ]);
    expect(await artifacts.get(job, 'reports/index.html')).toMatchObject({ digest: report.digest, attempt: 1 });
    // WHEN attempt 2 stores one file
    await recordAttempt(db, job, 2, 'success');
    const log = await blob('log');
    await artifacts.add(job, 2, { path: 'build.log', blob: log, contentType: 'text/plain' });
    // THEN only attempt 2's are shown, and attempt 1's are not found by path
    expect(await artifacts.list(job)).toMatchObject({ attempt: 2, items: [{ path: 'build.log', size: 3 }] });
    await expect(artifacts.get(job, 'app.tar.gz')).rejects.toThrow(NotFoundError);
  });

  it('refuses paths that are not plain relative paths, naming the path', async () => {
    const project = await insertProject(db, 'acme/bad-paths');
    const { ids } = await workflowOf(db, project, [{ name: 'build' }]);
    await recordAttempt(db, ids['build']!, 1, null);
    const content = await blob('x');
    for (const path of ['', '/etc/passwd', 'a/../../b', './a', 'a//b', 'a/', 'bell\u0007'])
      await expect(artifacts.add(ids['build']!, 1, { path, blob: content, contentType: 'text/plain' })).rejects.toThrow(
        InvalidInputError,
      );
    await expect(
      artifacts.add(ids['build']!, 1, { path: '/etc/passwd', blob: content, contentType: 'text/plain' }),
    ).rejects.toThrow('"/etc/passwd" must be relative');
    expect(await artifacts.list(ids['build']!)).toEqual({ attempt: null, items: [] });
  });
});
