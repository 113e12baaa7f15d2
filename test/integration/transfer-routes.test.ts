import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdCompressSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { pino } from 'pino';
import { ProtocolClient, StaleLeaseError } from '../../src/builder/agent/protocol-client.js';
import { TransferClient } from '../../src/builder/agent/transfer-client.js';
import type { JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { filesInArchive } from '../support/fake-transfers.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SIMULATED_FACTS } from '../support/simulated-builder.js';
import { makeJob } from '../support/runner-jobs.js';

// GIVEN the services app on a real PostgreSQL with its filesystem blob store, and the agent's real
// transfer client with a lease of a job, WHEN it moves caches, workspace layers, artifacts and test
// results, THEN they come back as they went, scoped to the project, the lease and the workflow.

let gyre: ServicesUnderTest;
let db: Database;
let client: ProtocolClient;
let projectId: number;
let otherProjectId: number;
let builders = 0;

/** A zstd tar of `files`, as the runner sends it. */
function archive(files: Record<string, string>): Readable {
  const out = pack();
  for (const [name, text] of Object.entries(files)) out.entry({ name }, text);
  out.finalize();
  return out.pipe(new PassThrough());
}

async function archiveBytes(files: Record<string, string>): Promise<Buffer> {
  return zstdCompressSync(await buffer(archive(files)));
}

/** Leases the named jobs of a fresh workflow (jobs with no `requires` are leased first). */
async function leaseWorkflow(
  project: number,
  jobs: { name: string; requires?: string[] }[],
): Promise<{ workflowId: number; lease: (name: string) => Promise<JobLease> }> {
  const { workflowId } = await seedWorkflow(db, project, jobs);
  await db.query('UPDATE jobs SET spec = $2 WHERE workflow_id = $1', [workflowId, JSON.stringify(makeJob([]).spec)]);
  return {
    workflowId,
    lease: async (name) => {
      const { leases } = await client.lease({ max: 8, waitSeconds: 0 });
      const found = leases.find((l) => l.context.jobName === name);
      if (!found) throw new Error(`no lease for ${name}: ${leases.map((l) => l.context.jobName).join(', ')}`);
      await client.ack(found.jobId, found);
      return found;
    },
  };
}

const transfersOf = (lease: JobLease) => new TransferClient(client, lease.jobId, lease);

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  const create = async (name: string) =>
    (
      (await (await gyre.api('/api/v1/projects', { body: { name, gitUrl: 'https://git.example/x.git' } })).json()) as {
        id: number;
      }
    ).id;
  projectId = await create('acme/transfers');
  otherProjectId = await create('acme/other');
  client = new ProtocolClient(gyre.base);
  await client.register(TEST_SECRETS.GYRE_JOIN_SECRET, { facts: { ...SIMULATED_FACTS, name: `t${++builders}` } });
}, 180_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

describe('cache transfers', () => {
  it('saves a cache once, finds it by prefix in the same project only, and streams it back', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'build' }]);
    const build = transfersOf(await lease('build'));
    const bytes = await archiveBytes({ 'root/.npm/a.txt': 'cached' });
    expect(await build.uploadCache('npm-v1-abc', Readable.from([bytes]))).toBe('saved');
    expect(await build.uploadCache('npm-v1-abc', Readable.from([await archiveBytes({ other: 'x' })]))).toBe('exists');
    expect(await build.findCache(['npm-v2-', 'npm-v1-'])).toEqual({ key: 'npm-v1-abc', size: bytes.length });
    expect(await buffer(await build.downloadCache('npm-v1-abc'))).toEqual(bytes);

    const other = await leaseWorkflow(otherProjectId, [{ name: 'build' }]);
    expect(await transfersOf(await other.lease('build')).findCache(['npm-v1-'])).toBeUndefined();
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
    await client.complete(build.jobId, { ...build, outcome: 'success', logsAcknowledged: true });
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
    const leased = await lease('package');
    const stored = await transfersOf(leased).uploadArtifacts(
      Readable.from([await archiveBytes({ 'bundle/app.js': 'bundle', 'bundle/report.html': '<script>x</script>' })]),
    );
    expect(stored).toEqual({ files: 2, bytes: 24 });
    const listed = (await (await gyre.api(`/api/v1/jobs/${leased.jobId}/artifacts`)).json()) as {
      items?: { path: string; size: number }[];
    };
    expect(JSON.stringify(listed)).toContain('bundle/report.html');
  });

  it('refuses a body that is not a zstd tar, naming it, and keeps nothing', async () => {
    const { lease } = await leaseWorkflow(projectId, [{ name: 'garbage' }]);
    const leased = await lease('garbage');
    await expect(transfersOf(leased).uploadArtifacts(Readable.from([Buffer.from('not an archive')]))).rejects.toThrow(
      /artifacts upload.*not a zstd-compressed tar/s,
    );
  });
});
