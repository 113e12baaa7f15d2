import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startGitHubDouble, type GitHubDouble, type RecordedStatus } from '../support/github-double.js';
import { startFlakyGitHub, type FlakyGitHub } from '../support/github-double-faults.js';
import { deliverWebhook, pushPayloadFor } from '../support/github-examples.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';
import { WebClient } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL, a project whose repository lives on a real git
// server, and the GitHub double (behind a proxy that can answer 500) as the GitHub API, configured
// through the admin console with a status token. Pushes reach Gyre as GitHub's own push payload
// naming the repository REPOSITORY; a simulated builder runs the jobs to the outcome each test wants.
const REPOSITORY = 'octo-org/status-app';
let gyre: ServicesUnderTest;
let git: GitServer;
let github: GitHubDouble;
let flaky: FlakyGitHub;
let db: Database;
let admin: WebClient;
let builder: SimulatedBuilder;
let project: { id: number; webhookSecret: string };

const oneJob = `version: 2.1
jobs:
  build:
    docker: [{ image: node:24 }]
    steps: [checkout, { run: npm test }]
workflows:
  ci:
    jobs: [build]
`;

const testThenDeploy = `version: 2.1
jobs:
  test:
    docker: [{ image: node:24 }]
    steps: [{ run: npm test }]
  deploy:
    docker: [{ image: node:24 }]
    steps: [{ run: ./deploy }]
workflows:
  release:
    jobs:
      - test
      - deploy: { requires: [test] }
`;

/** Saves the GitHub connection in the admin console; `statusToken: ''` keeps the stored token. */
async function saveGitHubSettings(fields: { statusToken?: string; removeStatusToken?: 'on' } = {}): Promise<Response> {
  return admin.submit('/settings', '/settings/github', {
    baseUrl: github.baseUrl,
    apiUrl: flaky.apiUrl,
    clientId: github.clientId,
    clientSecret: '',
    statusToken: fields.statusToken ?? '',
    ...(fields.removeStatusToken && { removeStatusToken: fields.removeStatusToken }),
  });
}

beforeAll(async () => {
  [gyre, git, github] = await Promise.all([startServicesUnderTest(), startGitServer(), startGitHubDouble()]);
  flaky = await startFlakyGitHub(github);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('status-app');
  project = (await (
    await gyre.api('/api/v1/projects', {
      body: { name: 'octo-org/status-app', gitUrl: git.url('status-app'), repository: REPOSITORY },
    })
  ).json()) as typeof project;
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'status-builder' });

  admin = new WebClient(gyre.services.addresses.admin);
  expect(
    (await admin.submit('/login', '/login', { login: 'admin', password: TEST_SECRETS.GYRE_ADMIN_PASSWORD })).status,
  ).toBe(302);
  const saved = await admin.submit('/settings', '/settings/github', {
    baseUrl: github.baseUrl,
    apiUrl: flaky.apiUrl,
    clientId: github.clientId,
    clientSecret: github.clientSecret,
    statusToken: github.apiToken,
  });
  expect(saved.status).toBe(303);
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
  await Promise.all([flaky?.stop(), github?.stop()]);
}, 120_000);

/** Pushes `config` as the repository's CircleCI config and delivers the signed push webhook; returns the pipeline and commit. */
async function pushAndDeliver(config: string): Promise<{ pipelineId: number; sha: string }> {
  const { sha } = await git.push('status-app', { '.circleci/config.yml': config, 'change.txt': randomUUID() });
  const body = pushPayloadFor(sha, { repository: { full_name: REPOSITORY, name: 'status-app' } });
  const response = await deliverWebhook(
    `${gyre.base}/webhooks/github?project=${project.id}`,
    body,
    project.webhookSecret,
  );
  expect(response.status).toBe(202);
  return { pipelineId: ((await response.json()) as { pipeline: { id: number } }).pipeline.id, sha };
}

interface WorkflowsView {
  items: { state: string; jobs: { name: string; state: string }[] }[];
}

/** Leases and runs jobs (ours to `outcomeOf(job)`, any other to success) until every workflow of the pipeline has settled. */
async function runPipeline(
  pipelineId: number,
  sha: string,
  outcomeOf: (job: string) => 'success' | 'failed' = () => 'success',
): Promise<void> {
  await until(
    `pipeline ${pipelineId} to settle`,
    async () => {
      const pipeline = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}`)).json()) as { state: string };
      if (pipeline.state === 'created') {
        const workflows = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as WorkflowsView;
        if (workflows.items.every((w) => w.state !== 'running')) return true;
      } else if (pipeline.state !== 'pending') throw new Error(`pipeline ${pipelineId} is ${pipeline.state}`);
      const { leases } = await builder.lease(4, 1);
      for (const lease of leases)
        await builder.run(lease, lease.context.sha === sha ? outcomeOf(lease.context.jobName) : 'success');
      return undefined;
    },
    { timeoutMs: 120_000 },
  );
}

const statusesOf = (sha: string): RecordedStatus[] => github.statuses.filter((s) => s.sha === sha);
const targetUrl = (pipelineId: number) => `${gyre.base.replace('127.0.0.1', 'localhost')}/pipelines/${pipelineId}`;

describe('GitHub commit statuses', () => {
  it('reports pending when the pipeline is planned, then success when its workflow succeeds, on the pushed commit', async () => {
    const { pipelineId, sha } = await pushAndDeliver(oneJob);
    const pending = await until('the pending status', () => statusesOf(sha)[0]);
    expect(pending).toEqual({
      repo: REPOSITORY,
      sha,
      state: 'pending',
      context: 'gyre/ci',
      description: 'Workflow ci is running',
      targetUrl: targetUrl(pipelineId),
    });

    await runPipeline(pipelineId, sha);
    await until('the final status', () => statusesOf(sha)[1]);
    expect(statusesOf(sha)).toEqual([
      pending,
      {
        repo: REPOSITORY,
        sha,
        state: 'success',
        context: 'gyre/ci',
        description: 'Workflow ci succeeded: 1 job passed',
        targetUrl: targetUrl(pipelineId),
      },
    ]);
    const rows = await db.query<{ state: string; attempts: number; posted: boolean; last_error: string | null }>(
      'SELECT state, attempts, posted_at IS NOT NULL AS posted, last_error FROM commit_statuses WHERE pipeline_id = $1 ORDER BY id',
      [pipelineId],
    );
    expect(rows.rows).toEqual([
      { state: 'pending', attempts: 1, posted: true, last_error: null },
      { state: 'success', attempts: 1, posted: true, last_error: null },
    ]);
  }, 180_000);

  it('reports failure naming the failed job and the jobs that did not run', async () => {
    const { pipelineId, sha } = await pushAndDeliver(testThenDeploy);
    await runPipeline(pipelineId, sha, (job) => (job === 'test' ? 'failed' : 'success'));
    await until('the final status', () => statusesOf(sha)[1]);
    expect(statusesOf(sha).map((s) => [s.state, s.context, s.description])).toEqual([
      ['pending', 'gyre/release', 'Workflow release is running'],
      ['failure', 'gyre/release', 'Workflow release failed: test failed; deploy not run'],
    ]);
  }, 180_000);

  it('reports a rerun on the same commit, linking to the rerun', async () => {
    const { pipelineId, sha } = await pushAndDeliver(oneJob);
    await runPipeline(pipelineId, sha);
    await until("the first run's final status", () => statusesOf(sha)[1]);
    gyre.createAccount('rerunner', 'a long enough password');
    const member = await gyre.api(`/api/v1/projects/${project.id}/members/rerunner`, {
      method: 'PUT',
      body: { role: 'member' },
    });
    expect(member.status).toBe(200);
    const person = new WebClient(gyre.base);
    expect(
      (await person.submit('/login', '/login', { login: 'rerunner', password: 'a long enough password' })).status,
    ).toBe(302);
    const rerun = await person.submit(`/pipelines/${pipelineId}`, `/pipelines/${pipelineId}/rerun`, {});
    expect(rerun.status).toBe(303);
    const rerunId = Number(/^\/pipelines\/(\d+)$/.exec(rerun.headers.get('location') ?? '')?.[1]);
    expect(rerunId).toBeGreaterThan(pipelineId);
    await runPipeline(rerunId, sha, () => 'failed');
    await until("the rerun's final status", () => statusesOf(sha)[3]);
    expect(statusesOf(sha).map((s) => [s.state, s.targetUrl])).toEqual([
      ['pending', targetUrl(pipelineId)],
      ['success', targetUrl(pipelineId)],
      ['pending', targetUrl(rerunId)],
      ['failure', targetUrl(rerunId)],
    ]);
  }, 180_000);

  it('reports error for an invalid config, naming the problem', async () => {
    const { pipelineId, sha } = await pushAndDeliver(
      'version: 2.1\njobs:\n  build:\n    macos: { xcode: 15.4.0 }\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n',
    );
    const status = await until('the error status', () => statusesOf(sha)[0]);
    expect(status).toMatchObject({
      repo: REPOSITORY,
      state: 'error',
      context: 'gyre',
      targetUrl: targetUrl(pipelineId),
    });
    expect(status.description).toMatch(
      /^Invalid config: \.circleci\/config\.yml has 1 error \(first at line 4, column 5/,
    );
    expect(status.description!.length).toBeLessThanOrEqual(140);
    expect(statusesOf(sha)).toHaveLength(1);
  }, 120_000);

  it('keeps retrying while GitHub answers 500, then delivers the statuses in order', async () => {
    const refusedBefore = flaky.refused;
    flaky.failNext(3);
    const { pipelineId, sha } = await pushAndDeliver(oneJob);
    await runPipeline(pipelineId, sha);
    await until('both statuses', () => statusesOf(sha)[1], { timeoutMs: 90_000 });
    expect(flaky.refused - refusedBefore).toBe(3);
    expect(statusesOf(sha).map((s) => s.state)).toEqual(['pending', 'success']);
    const rows = await db.query<{ state: string; attempts: number; last_error: string | null; posted: boolean }>(
      'SELECT state, attempts, last_error, posted_at IS NOT NULL AS posted FROM commit_statuses WHERE pipeline_id = $1 ORDER BY id',
      [pipelineId],
    );
    expect(rows.rows).toEqual([
      { state: 'pending', attempts: 4, last_error: null, posted: true },
      { state: 'success', attempts: 1, last_error: null, posted: true },
    ]);
  }, 180_000);

  it('posts nothing for a pipeline triggered through the API', async () => {
    const { sha } = await git.push('status-app', { '.circleci/config.yml': oneJob, 'change.txt': randomUUID() });
    const created = await gyre.api(`/api/v1/projects/${project.id}/pipelines`, { body: { branch: 'main' } });
    expect(created.status).toBe(201);
    const pipelineId = ((await created.json()) as { id: number }).id;
    await runPipeline(pipelineId, sha);
    expect((await db.query('SELECT 1 FROM commit_statuses WHERE pipeline_id = $1', [pipelineId])).rowCount).toBe(0);
    // Then a push of the same commit: its statuses are queued after anything the API pipeline could
    // have queued, and the poster claims the outbox oldest first, so a status of the API pipeline
    // would reach GitHub no later than the pushed pipeline's pending one, and before its final one.
    const pushed = await deliverWebhook(
      `${gyre.base}/webhooks/github?project=${project.id}`,
      pushPayloadFor(sha, { repository: { full_name: REPOSITORY, name: 'status-app' } }),
      project.webhookSecret,
    );
    expect(pushed.status).toBe(202);
    const pushedId = ((await pushed.json()) as { pipeline: { id: number } }).pipeline.id;
    await runPipeline(pushedId, sha);
    await until("the pushed pipeline's final status", () =>
      statusesOf(sha).find((s) => s.targetUrl === targetUrl(pushedId) && s.state !== 'pending'),
    );
    expect(statusesOf(sha).map((s) => [s.state, s.targetUrl])).toEqual([
      ['pending', targetUrl(pushedId)],
      ['success', targetUrl(pushedId)],
    ]);
  }, 180_000);

  it('refuses a delivery naming another repository: stored as refused, no pipeline, no status posted anywhere', async () => {
    const { sha } = await git.push('status-app', { '.circleci/config.yml': oneJob, 'change.txt': randomUUID() });
    const foreign = 'someone-else/status-app';
    const deliveryId = randomUUID();
    const refused = await deliverWebhook(
      `${gyre.base}/webhooks/github?project=${project.id}`,
      pushPayloadFor(sha, { repository: { full_name: foreign, name: 'status-app' } }),
      project.webhookSecret,
      { deliveryId },
    );
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: {
        code: 'foreign_repository',
        message: `the delivery is from ${foreign}, but project octo-org/status-app is linked to ${REPOSITORY}; point this repository's webhook at its own project`,
      },
    });
    const deliveries = (await (await gyre.api(`/api/v1/deliveries?project=${project.id}`)).json()) as {
      items: { deliveryId: string; outcome: string; statusCode: number; pipelineId: number | null }[];
    };
    expect(deliveries.items.find((d) => d.deliveryId === deliveryId)).toMatchObject({
      outcome: 'refused',
      statusCode: 403,
      pipelineId: null,
    });
    // Redelivering it is refused again.
    const stored = (
      await db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE delivery_id = $1', [deliveryId])
    ).rows[0]!.id;
    expect((await gyre.api(`/api/v1/deliveries/${stored}/redeliver`, { method: 'POST' })).status).toBe(403);
    const pipelines = (await (await gyre.api(`/api/v1/projects/${project.id}/pipelines`)).json()) as {
      items: { sha: string }[];
    };
    expect(pipelines.items.filter((p) => p.sha === sha)).toEqual([]);

    // The same commit pushed from the linked repository builds and reports there, and only there.
    const pushed = await deliverWebhook(
      `${gyre.base}/webhooks/github?project=${project.id}`,
      pushPayloadFor(sha, { repository: { full_name: REPOSITORY.toUpperCase(), name: 'status-app' } }),
      project.webhookSecret,
    );
    expect(pushed.status).toBe(202);
    const pushedId = ((await pushed.json()) as { pipeline: { id: number } }).pipeline.id;
    await runPipeline(pushedId, sha);
    await until("the pushed pipeline's final status", () => statusesOf(sha).find((s) => s.state !== 'pending'));
    expect(statusesOf(sha).map((s) => [s.repo, s.state])).toEqual([
      [REPOSITORY, 'pending'],
      [REPOSITORY, 'success'],
    ]);
    expect(github.statuses.filter((s) => s.repo !== REPOSITORY)).toEqual([]);
  }, 180_000);

  it('refuses every delivery that names a repository while a project is unlinked, saying how to link it', async () => {
    const unlinked = (await (
      await gyre.api('/api/v1/projects', { body: { name: 'octo-org/unlinked', gitUrl: git.url('status-app') } })
    ).json()) as { id: number; webhookSecret: string; repository: string | null };
    expect(unlinked.repository).toBeNull();
    const response = await deliverWebhook(
      `${gyre.base}/webhooks/github?project=${unlinked.id}`,
      pushPayloadFor('a'.repeat(40), { repository: { full_name: REPOSITORY, name: 'status-app' } }),
      unlinked.webhookSecret,
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      `project octo-org/unlinked is not linked to a GitHub repository, so it accepts no deliveries; a maintainer links it to ${REPOSITORY} in the project's settings if that is its repository`,
    );
    const linked = await gyre.api(`/api/v1/projects/${unlinked.id}`, {
      method: 'PATCH',
      body: { repository: 'not a name' },
    });
    expect(linked.status).toBe(400);
    const fixed = await gyre.api(`/api/v1/projects/${unlinked.id}`, {
      method: 'PATCH',
      body: { repository: REPOSITORY },
    });
    expect(await fixed.json()).toMatchObject({ repository: REPOSITORY });
    const unlink = await gyre.api(`/api/v1/projects/${unlinked.id}`, { method: 'PATCH', body: { repository: null } });
    expect(await unlink.json()).toMatchObject({ repository: null });
  }, 60_000);

  it('queues nothing once the status token is removed, and resumes when one is set again', async () => {
    expect((await saveGitHubSettings({ removeStatusToken: 'on' })).status).toBe(303);
    const page = await (await admin.get('/settings')).text();
    expect(page).toContain('(not set: no commit statuses are posted)');
    const without = await pushAndDeliver(oneJob);
    await runPipeline(without.pipelineId, without.sha);
    expect(
      (await db.query('SELECT 1 FROM commit_statuses WHERE pipeline_id = $1', [without.pipelineId])).rowCount,
    ).toBe(0);

    expect((await saveGitHubSettings({ statusToken: github.apiToken })).status).toBe(303);
    const again = await pushAndDeliver(oneJob);
    await until('the pending status', () => statusesOf(again.sha)[0]);
    await runPipeline(again.pipelineId, again.sha);
    await until('the final status', () => statusesOf(again.sha)[1]);
    expect(statusesOf(without.sha)).toEqual([]);
  }, 180_000);

  it("checks GitHub's API and the status token for `gyre doctor`: valid, lacking repo:status, refused", async () => {
    type Check = {
      reachable: boolean;
      problem: string | null;
      statusToken: { valid: boolean; login: string | null; scopes: string[] | null; lacking: string[] } | null;
    };
    const check = async () => (await (await gyre.api('/api/v1/github/check')).json()) as Check;
    expect(await check()).toMatchObject({
      reachable: true,
      problem: null,
      statusToken: { valid: true, login: 'gyre-bot', scopes: ['repo:status'], lacking: [] },
    });
    try {
      expect(
        (await saveGitHubSettings({ statusToken: github.issueToken('someone', ['read:user', 'gist']) })).status,
      ).toBe(303);
      expect(await check()).toMatchObject({
        problem: "the commit status token's scopes (read:user, gist) lack repo:status",
        statusToken: { valid: true, login: 'someone', lacking: ['repo:status'] },
      });
      expect((await saveGitHubSettings({ statusToken: 'ghp_not-a-token-github-issued' })).status).toBe(303);
      expect(await check()).toMatchObject({
        problem: 'GitHub answered 401 to the commit status token: Bad credentials',
        statusToken: { valid: false },
      });
    } finally {
      await saveGitHubSettings({ statusToken: github.apiToken });
    }
  }, 60_000);
});
