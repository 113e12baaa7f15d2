import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buffer } from 'node:stream/consumers';
import { StaleLeaseError, type ProtocolClient } from '../../src/builder/agent/protocol-client.js';
import { TransferClient } from '../../src/builder/agent/transfer-client.js';
import type { JobLease } from '../../src/protocol/index.js';
import type { ArtifactListResponse, TestResultsResponse } from '../../src/api/responses.js';
import { filesInArchive } from '../support/fake-transfers.js';
import { archiveBytes, LeasingBuilder } from '../support/leased-transfers.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

const JEST_REPORT = fileURLToPath(new URL('../fixtures/junit/jest-junit.xml', import.meta.url));

// GIVEN the services app on a real PostgreSQL with its filesystem blob store, and the agent's real
// transfer client with a lease of a job, WHEN it moves caches, workspace layers, artifacts and test
// results, THEN they come back as they went, scoped to the project, the lease and the workflow.

let gyre: ServicesUnderTest;
let builder: LeasingBuilder;
let client: ProtocolClient;
let projectId: number;
let otherProjectId: number;

const leaseWorkflow = (project: number, jobs: { name: string; requires?: string[] }[]) =>
  builder.leaseWorkflow(project, jobs);
const transfersOf = (lease: JobLease) => builder.transfersOf(lease);

beforeAll(async () => {
  gyre = await startServicesUnderTest({ settings: { GYRE_CACHE_MAX_SIZE: '4K' } });
  builder = await LeasingBuilder.register(gyre);
  client = builder.client;
  projectId = await builder.createProject('acme/transfers');
  otherProjectId = await builder.createProject('acme/other');
}, 180_000);

afterEach(() => builder.endLeases());

afterAll(async () => {
  await builder?.close();
  await gyre?.stop();
}, 60_000);

describe('cache transfers', () => {
  it('saves a cache once, finds it by prefix in the same project only, and streams it back', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'build' }]);
    const leased = await lease('build');
    // The filesystem store takes bytes only through the services box, so the agent streams them.
    expect(leased.directUploads).toBeUndefined();
    const build = transfersOf(leased);
    const bytes = await archiveBytes({ 'root/.npm/a.txt': 'cached' });
    expect(await build.uploadCache('npm-v1-abc', Readable.from([bytes]))).toBe('saved');
    expect(await build.uploadCache('npm-v1-abc', Readable.from([await archiveBytes({ other: 'x' })]))).toBe('exists');
    expect(await build.findCache(['npm-v2-', 'npm-v1-'])).toEqual({ key: 'npm-v1-abc', size: bytes.length });
    expect(await buffer(await build.downloadCache('npm-v1-abc'))).toEqual(bytes);

    const other = await leaseWorkflow(otherProjectId, [{ name: 'build' }]);
    expect(await transfersOf(await other.lease('build')).findCache(['npm-v1-'])).toBeUndefined();
  });

  it("keeps a fork's pull requests out of the project's caches, both ways, unless it passes secrets to forks", async () => {
    const forkProject = await builder.db
      .query<{ id: string }>(
        "INSERT INTO projects (name, git_url, webhook_secret) VALUES ('acme/forked', 'https://git.example/f.git', '\\x00') RETURNING id",
      )
      .then((result) => Number(result.rows[0]!.id));
    /** A build of a pull request from `fork`'s repository. */
    const forkBuild = async (fork: string) => {
      const { workflowId, lease } = await leaseWorkflow(forkProject, [{ name: 'pr' }]);
      const pullRequest = { number: 5, htmlUrl: 'https://github.com/acme/forked/pull/5', fromFork: true };
      const detail = { pullRequest: { ...pullRequest, headRepository: { fullName: fork } } };
      await builder.db.query(
        `UPDATE pipelines SET ref = 'refs/pull/5/head', trigger_detail = $2
          WHERE id = (SELECT pipeline_id FROM workflows WHERE id = $1)`,
        [workflowId, JSON.stringify(detail)],
      );
      return transfersOf(await lease('pr'));
    };
    const trusted = transfersOf(await (await leaseWorkflow(forkProject, [{ name: 'main' }])).lease('main'));
    const trustedBytes = await archiveBytes({ 'deps/a': 'trusted' });
    expect(await trusted.uploadCache('deps-v1', Readable.from([trustedBytes]))).toBe('saved');

    // A fork's build neither finds the project's cache nor can take its key from trusted builds.
    const mallory = await forkBuild('mallory/forked');
    expect(await mallory.findCache(['deps-'])).toBeUndefined();
    await expect(mallory.downloadCache('deps-v1')).rejects.toThrow(/404/);
    const poisoned = await archiveBytes({ 'deps/a': 'poisoned' });
    expect(await mallory.uploadCache('deps-v1', Readable.from([poisoned]))).toBe('saved');
    expect(await buffer(await mallory.downloadCache('deps-v1'))).toEqual(poisoned);
    expect(await buffer(await trusted.downloadCache('deps-v1'))).toEqual(trustedBytes);
    // Another fork's pull requests do not see it; the same fork's next pull request does.
    expect(await (await forkBuild('eve/forked')).findCache(['deps-'])).toBeUndefined();
    expect(await (await forkBuild('Mallory/forked')).findCache(['deps-'])).toEqual({
      key: 'deps-v1',
      size: poisoned.length,
    });

    await builder.endLeases();
    await builder.db.query('UPDATE projects SET pass_secrets_to_forks = true WHERE id = $1', [forkProject]);
    expect(await (await forkBuild('eve/forked')).findCache(['deps-'])).toEqual({
      key: 'deps-v1',
      size: trustedBytes.length,
    });
  });

  it('refuses a cache over GYRE_CACHE_MAX_SIZE, naming the limit and the setting, and keeps no key', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'big' }]);
    const big = transfersOf(await lease('big'));
    const incompressible = randomBytes(8 * 1024).toString('base64');
    await expect(
      big.uploadCache('big-v1', Readable.from([await archiveBytes({ blob: incompressible })])),
    ).rejects.toThrow('the cache is over the size limit of 4 KiB (GYRE_CACHE_MAX_SIZE)');
    expect(await big.findCache(['big-v1'])).toBeUndefined();
  });

  it('refuses a stale lease before reading the body', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'stale' }]);
    const leased = await lease('stale');
    const stale = new TransferClient(client, leased.jobId, {
      ...leased,
      leaseId: '00000000-0000-4000-8000-000000000000',
    });
    await expect(stale.uploadCache('k', Readable.from([await archiveBytes({ a: 'b' })]))).rejects.toBeInstanceOf(
      StaleLeaseError,
    );
  });
});

describe('workspace transfers', () => {
  it("gives a downstream job its upstream jobs' layers, and no other layer", async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'build' }, { name: 'test', requires: ['build'] }]);
    const build = await lease('build');
    await transfersOf(build).uploadWorkspaceLayer(Readable.from([await archiveBytes({ 'dist/app.js': 'bundle' })]));
    await builder.complete(build);
    const test = transfersOf(await lease('test'));
    const layers = await test.workspaceLayers();
    expect(layers).toEqual([
      { job: 'build', digest: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) },
    ]);
    const files = await filesInArchive(await buffer(await test.downloadWorkspaceLayer(layers[0]!.digest)));
    expect(files).toEqual(new Map([['dist/app.js', 'bundle']]));
    await expect(test.downloadWorkspaceLayer('0'.repeat(64))).rejects.toThrow(/404/);
  });
});

describe('artifacts and test results', () => {
  it('stores each file as an artifact the API lists with its size', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'package' }]);
    const job = await lease('package');
    const stored = await transfersOf(job).uploadArtifacts(
      Readable.from([await archiveBytes({ 'bundle/app.js': 'bundle', 'bundle/report.html': '<script>x</script>' })]),
    );
    expect(stored).toEqual({ files: 2, bytes: 24 });
    const listed = (await (await gyre.api(`/api/v1/jobs/${job.jobId}/artifacts`)).json()) as ArtifactListResponse;
    expect(listed.items.map(({ path, size }) => ({ path, size }))).toEqual([
      { path: 'bundle/app.js', size: 6 },
      { path: 'bundle/report.html', size: 18 },
    ]);
  });

  it('parses the JUnit reports of a test results upload, skips other files, and warns about a broken one', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'unit' }]);
    const job = await lease('unit');
    const receipt = await transfersOf(job).uploadTestResults(
      Readable.from([
        await archiveBytes({
          'reports/jest-junit.xml': readFileSync(JEST_REPORT, 'utf8'),
          'reports/broken.xml': '<testsuite><testcase name="cut',
          'reports/summary.txt': 'not a report',
        }),
      ]),
    );
    // THEN jest-junit's 6 cases with 4 failures count, and the broken file is a warning naming it
    expect(receipt).toMatchObject({ tests: 6, failures: 4 });
    expect(receipt.warnings).toEqual([expect.stringContaining('reports/broken.xml')]);
    const results = (await (await gyre.api(`/api/v1/jobs/${job.jobId}/tests`)).json()) as TestResultsResponse;
    expect(results.totals).toMatchObject({ tests: 6, failures: 4 });
    expect(results.items.filter((c) => c.result === 'failed').map((c) => c.name)).toContain('Failing test');
  });

  it('refuses a body that is not a zstd tar, naming it, and keeps nothing', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'garbage' }]);
    const job = await lease('garbage');
    await expect(transfersOf(job).uploadArtifacts(Readable.from([Buffer.from('not an archive')]))).rejects.toThrow(
      /artifacts upload.*not a zstd-compressed tar/s,
    );
    const listed = (await (await gyre.api(`/api/v1/jobs/${job.jobId}/artifacts`)).json()) as ArtifactListResponse;
    expect(listed.items).toEqual([]);
  });
});
