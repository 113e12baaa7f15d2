import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL and a real git server, a signed-in user
// reaching the pages like a browser, and a simulated builder that runs jobs step by step.
const XSS_SCRIPT = '<script>alert(1)</script>';
const XSS_IMG = '<img src=x onerror=alert(1)>';
const oneJobConfig =
  'version: 2.1\njobs:\n  build:\n    docker: [{image: alpine}]\n    steps: [checkout]\nworkflows:\n  main:\n    jobs: [build]\n';

let gyre: ServicesUnderTest;
let git: GitServer;
let browser: WebClient;
let builder: SimulatedBuilder;
let projectId: number;
let pool: Database;

const text = async (path: string, client = browser) => (await client.get(path)).text();
const db = () => pool;

/** Leases every queued job and returns the lease of `jobId`; the others stay leased, unused. */
async function leaseJob(jobId: number): Promise<JobLease> {
  const { leases } = await builder.lease(20);
  const lease = leases.find((l) => l.jobId === jobId);
  if (!lease) throw new Error(`job ${jobId} was not leased; got ${leases.map((l) => l.jobId).join(', ')}`);
  return lease;
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('web');
  pool = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  browser = new WebClient(gyre.base);
  gyre.createAccount('ada', 'correct horse battery', { admin: true });
  await browser.submit('/login', '/login', { login: 'ada', password: 'correct horse battery' });
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'sim-1', slots: 20 });
}, 300_000);

afterAll(async () => {
  await pool?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

describe('adding a project', () => {
  it('names every problem of a bad form and keeps what was typed', async () => {
    const answer = await browser.submit('/projects/new', '/projects/new', {
      name: '-bad name',
      gitUrl: 'not a url',
      defaultBranch: 'main',
    });
    expect(answer.status).toBe(400);
    const page = await answer.text();
    expect(page).toContain('Name: letters, digits');
    expect(page).toContain('Git URL:');
    expect(page).toContain('value="-bad name"');
  });

  it('shows the webhook URL and secret once, and never on the project page', async () => {
    const answer = await browser.submit('/projects/new', '/projects/new', {
      name: 'acme/web',
      gitUrl: git.url('web'),
      defaultBranch: 'main',
    });
    expect(answer.status).toBe(201);
    const page = await answer.text();
    projectId = Number(/href="\/projects\/(\d+)"/.exec(page)?.[1]);
    // Escaping turns `=` into an entity; the browser shows (and copies) it as `=`.
    expect(page).toContain(`/webhooks/github?project&#x3D;${projectId}`);
    const secret = /<span class="secret" data-copy>([0-9a-f]{64})<\/span>/.exec(page)?.[1];
    expect(secret).toBeDefined();
    expect(await text(`/projects/${projectId}`)).not.toContain(secret!);
    const again = await browser.submit('/projects/new', '/projects/new', {
      name: 'acme/web',
      gitUrl: git.url('web'),
      defaultBranch: 'main',
    });
    expect(again.status).toBe(409);
  });
});

describe('a project page', () => {
  it('lists pipelines and filters them by branch', async () => {
    const { pipelineId: onMain } = await seedWorkflow(db(), projectId, [{ name: 'lint', cpus: 64 }]);
    const { pipelineId: onFeature } = await seedWorkflow(db(), projectId, [{ name: 'lint', cpus: 64 }]);
    await db().query("UPDATE pipelines SET branch = 'feature/x' WHERE id = $1", [onFeature]);
    const all = await text(`/projects/${projectId}`);
    expect(all).toContain(`href="/pipelines/${onMain}"`);
    expect(all).toContain(`href="/pipelines/${onFeature}"`);
    expect(all).toContain('<code>ccccccc</code>');
    const filtered = await text(`/projects/${projectId}?branch=feature%2Fx`);
    expect(filtered).toContain(`href="/pipelines/${onFeature}"`);
    expect(filtered).not.toContain(`href="/pipelines/${onMain}"`);
  });

  it('triggers a pipeline on a branch and sends the user to it', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': oneJobConfig });
    const answer = await browser.submit(`/projects/${projectId}`, `/projects/${projectId}/pipelines`, {
      branch: 'main',
    });
    expect(answer.status).toBe(303);
    const location = answer.headers.get('location')!;
    expect(location).toMatch(/^\/pipelines\/\d+$/);
    expect(await text(location)).toContain(sha.slice(0, 7));
    const missing = await browser.submit(`/projects/${projectId}`, `/projects/${projectId}/pipelines`, {
      branch: 'no-such-branch',
    });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('no branch');
  });
});

describe('a pipeline page', () => {
  it('draws jobs in columns by dependency depth and serves their live states as JSON', async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [
      { name: 'deploy', requires: ['test'] },
      { name: 'build', cpus: 64 },
      { name: 'test', requires: ['build'] },
    ]);
    const page = await text(`/pipelines/${pipelineId}`);
    const columns = page.split('<ol class="graph-column">').slice(1);
    expect(columns.map((column) => /class="job-name">([^<]+)</.exec(column)?.[1])).toEqual(['build', 'test', 'deploy']);
    expect(page).toContain(`data-poll="/pipelines/${pipelineId}/status.json"`);
    const status = (await (await browser.get(`/pipelines/${pipelineId}/status.json`)).json()) as {
      jobs: { state: string }[];
      settled: boolean;
    };
    expect(status.jobs.map((j) => j.state).sort()).toEqual(['blocked', 'blocked', 'queued']);
    expect(status.settled).toBe(false);
    expect((await new WebClient(gyre.base).get(`/pipelines/${pipelineId}/status.json`)).status).toBe(401);
  });

  it("lists the config's warnings, each with its line, column and path", async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [{ name: 'build' }]);
    const warning = {
      line: 5,
      column: 9,
      path: 'jobs.build.docker[0].ports',
      message: 'ports is ignored <as CircleCI>',
    };
    await db().query('UPDATE pipelines SET config_warnings = $2 WHERE id = $1', [
      pipelineId,
      JSON.stringify([warning]),
    ]);
    const page = await text(`/pipelines/${pipelineId}`);
    expect(page).toContain('aria-label="Config warnings"');
    expect(page).toContain('line 5, column 9 (jobs.build.docker[0].ports): ports is ignored &lt;as CircleCI&gt;');
    const quiet = await seedWorkflow(db(), projectId, [{ name: 'build' }]);
    expect(await text(`/pipelines/${quiet.pipelineId}`)).not.toContain('Config warnings');
  });
});

describe('a job page', () => {
  it('shows steps with exit code and duration, the stored log, the live stream and the download', async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [{ name: 'unit' }]);
    const jobId = Number(
      (
        await db().query<{ id: string }>(
          'SELECT j.id FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1',
          [pipelineId],
        )
      ).rows[0]!.id,
    );
    const lease = await leaseJob(jobId);
    await builder.ack(lease);
    await builder.step(lease, { index: 0, name: 'npm test', user: true, status: 'started' });
    await builder.log(lease, 0, 0, '\u001b[32mok\u001b[0m 12 tests passed\n');
    await builder.step(lease, { index: 0, name: 'npm test', user: true, status: 'finished', exitCode: 3 });
    const running = await text(`/jobs/${jobId}`);
    expect(running).toContain('npm test');
    expect(running).toMatch(/<td>3<\/td><td>\d+s<\/td>/);
    // Without JavaScript the stored log is there, colour codes dropped.
    expect(running).toContain('ok 12 tests passed');
    expect(running).toContain(`data-log-stream="/jobs/${jobId}/log/stream?attempt=1"`);
    await builder.complete(lease, 'failed');

    const download = await browser.get(`/jobs/${jobId}/log.txt?attempt=1`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="job-${jobId}-attempt-1.log"`);
    expect(await download.text()).toBe('\u001b[32mok\u001b[0m 12 tests passed\n');
    const stream = await browser.get(`/jobs/${jobId}/log/stream?attempt=1`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const events = await readUntilEnd(stream);
    expect(events).toContain('"text":"\\u001b[32mok\\u001b[0m 12 tests passed\\n"');
    expect((await new WebClient(gyre.base).get(`/jobs/${jobId}/log.txt`)).status).toBe(401);
    expect((await new WebClient(gyre.base).get(`/jobs/${jobId}/log/stream`)).status).toBe(401);
  });

  it('cancels a queued job and reruns its pipeline on the same commit', async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [{ name: 'slow', cpus: 64 }]);
    const jobId = Number(
      (
        await db().query<{ id: string }>(
          'SELECT j.id FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1',
          [pipelineId],
        )
      ).rows[0]!.id,
    );
    const page = await text(`/jobs/${jobId}`);
    // A job too big for every builder says why it waits, and where to look.
    // The only builder, sim-1, has 20 slots of 2 CPUs and 4 GiB.
    expect(page).toContain('needs 64 CPU / 4 GiB; the largest builder has 40 CPU / 80 GiB for jobs');
    expect(page).toContain('href="/builders"');
    const builders = await text('/builders');
    expect(builders).toContain('sim-1');
    expect(builders).toMatch(
      /<td>\d+<\/td><td>\d+ CPU \/ \d+ GiB<br><small class="muted">of 40 CPU \/ 80 GiB<\/small><\/td>/,
    );
    expect(builders).toContain(`<a href="/jobs/${jobId}">slow</a>`);
    expect(builders).toContain('the largest builder has 40 CPU / 80 GiB for jobs');

    const canceled = await browser.submit(`/jobs/${jobId}`, `/jobs/${jobId}/cancel`, {});
    expect(canceled.status).toBe(303);
    expect(await text(`/jobs/${jobId}`)).toContain(
      `<span class="state state-canceled" data-job-id="${jobId}">canceled</span>`,
    );

    const rerun = await browser.submit(`/jobs/${jobId}`, `/pipelines/${pipelineId}/rerun`, {});
    expect(rerun.status).toBe(303);
    const newId = Number(/\/pipelines\/(\d+)$/.exec(rerun.headers.get('location')!)?.[1]);
    const fresh = await pool.query<{ sha: string; trigger: string; trigger_detail: { rerunOf: number } }>(
      'SELECT sha, trigger, trigger_detail FROM pipelines WHERE id = $1',
      [newId],
    );
    expect(fresh.rows[0]).toMatchObject({
      sha: 'c'.repeat(40),
      trigger: 'api',
      trigger_detail: { rerunOf: pipelineId },
    });
  });
});

describe('API tokens', () => {
  it('creates a token shown once, lists it by prefix, and revokes it', async () => {
    const created = await browser.submit('/tokens', '/tokens', { name: 'deploy script' });
    expect(created.status).toBe(201);
    const token = /(gyre_pat_[A-Za-z0-9_-]{43})/.exec(await created.text())?.[1];
    expect(token).toBeDefined();
    const list = await text('/tokens');
    expect(list).not.toContain(token!);
    expect(list).toContain(`<code>${token!.slice(0, 15)}…</code>`);
    const use = () => fetch(`${gyre.base}/api/v1/projects`, { headers: { authorization: `Bearer ${token!}` } });
    expect((await use()).status).toBe(200);
    expect(await text('/tokens')).not.toContain('never');
    const id = /action="\/tokens\/(\d+)\/revoke"/.exec(list)?.[1];
    expect((await browser.submit('/tokens', `/tokens/${id}/revoke`, {})).status).toBe(303);
    expect((await use()).status).toBe(401);
    expect(await text('/tokens')).toContain('revoked');
  });

  it("does not let one user revoke another user's token", async () => {
    const other = new WebClient(gyre.base);
    gyre.createAccount('bob', 'another long password');
    await other.submit('/login', '/login', { login: 'bob', password: 'another long password' });
    await other.submit('/tokens', '/tokens', { name: 'bob token' });
    const bobsId = (await db().query<{ id: string }>("SELECT id FROM api_tokens WHERE name = 'bob token'")).rows[0]!.id;
    expect((await browser.submit('/tokens', `/tokens/${bobsId}/revoke`, {})).status).toBe(404);
    expect(await text('/tokens')).not.toContain('bob token');
  });
});

describe('security', () => {
  it('shows markup in job names, step names and log lines as text on the job and pipeline pages', async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [
      { name: XSS_SCRIPT },
      { name: XSS_IMG, requires: [XSS_SCRIPT] },
    ]);
    const jobId = Number(
      (
        await db().query<{ id: string }>(
          'SELECT j.id FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1 AND j.name = $2',
          [pipelineId, XSS_SCRIPT],
        )
      ).rows[0]!.id,
    );
    const lease = await leaseJob(jobId);
    await builder.ack(lease);
    await builder.step(lease, { index: 0, name: XSS_IMG, user: true, status: 'started' });
    await builder.log(lease, 0, 0, `${XSS_SCRIPT}\n${XSS_IMG}\n`);
    for (const page of [await text(`/jobs/${jobId}`), await text(`/pipelines/${pipelineId}`)]) {
      expect(page).not.toContain(XSS_SCRIPT);
      expect(page).not.toContain(XSS_IMG);
      expect(page).not.toMatch(/<img|onerror=alert/i);
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    }
    await builder.complete(lease, 'success');
  });

  it('refuses every form posted without its CSRF token', async () => {
    const { pipelineId } = await seedWorkflow(db(), projectId, [{ name: 'guarded', cpus: 64 }]);
    for (const action of [
      '/projects/new',
      `/projects/${projectId}/pipelines`,
      `/pipelines/${pipelineId}/cancel`,
      `/pipelines/${pipelineId}/rerun`,
      '/tokens',
    ]) {
      const forged = await browser.post(action, { name: 'x', branch: 'main' });
      expect([action, forged.status]).toEqual([action, 403]);
    }
    const still = (
      await pool.query<{ state: string }>(
        'SELECT j.state FROM jobs j JOIN workflows w ON w.id = j.workflow_id WHERE w.pipeline_id = $1',
        [pipelineId],
      )
    ).rows[0];
    expect(still?.state).toBe('queued');
  });
});

/** Reads an SSE response until its `end` event (the job finished), then stops reading. */
async function readUntilEnd(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let received = '';
  const deadline = Date.now() + 15_000;
  while (!received.includes('event: end') && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    received += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return received;
}
