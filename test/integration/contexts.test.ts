import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { createApiToken } from '../../src/services/stores/accounts/api-tokens.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverForkPullRequest, deliverWebhook, pushPayloadFor } from '../support/github-examples.js';
import { byName, waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL and a real git server, a project whose
// repository is acme/app, and a simulated builder that shows what each lease carries. Contexts:
//   shared     every account and project may use it;
//   deployers  only members of the group "deploy";
//   elsewhere  only another project.
// mia is a member of the project; gabe signed in with GitHub as "gabe-gh" (his account has a
// GitHub id) and is in the group "deploy".
const REPOSITORY = 'acme/app';
const PASSWORD = 'a long enough password';
let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let builder: SimulatedBuilder;
let project: { id: number; webhookSecret: string };
let miaToken: string;

const CONFIG = `version: 2.1
jobs:
  build: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
  deploy: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
  other: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
  missing: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  main:
    jobs:
      - build: { context: shared }
      - deploy: { context: [shared, deployers], requires: [build] }
      - other: { context: elsewhere }
      - missing: { context: [nope] }
`;

const asAdmin = async (path: string, method: string, body?: unknown) => {
  const response = await gyre.api(path, { method, ...(body !== undefined && { body }) });
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
};

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('app');
  const { sha } = await git.push('app', { '.circleci/config.yml': CONFIG });
  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  project = (await (
    await asAdmin('/api/v1/projects', 'POST', { name: 'acme/app', gitUrl: git.url('app'), repository: REPOSITORY })
  ).json()) as typeof project;
  const other = (await (
    await asAdmin('/api/v1/projects', 'POST', { name: 'acme/other', gitUrl: git.url('app') })
  ).json()) as { id: number };
  await asAdmin(`/api/v1/projects/${project.id}/variables/PROJECT_VALUE`, 'PUT', { value: 'project-value-1234' });

  for (const login of ['mia', 'gabe']) gyre.createAccount(login, PASSWORD);
  await db.query("UPDATE users SET login = 'gabe-gh', github_id = 4242 WHERE login = 'gabe'");
  await asAdmin(`/api/v1/projects/${project.id}/members/mia`, 'PUT', { role: 'member' });
  const mia = (await db.query<{ id: string }>("SELECT id FROM users WHERE login = 'mia'")).rows[0]!.id;
  miaToken = (await createApiToken(db, "mia's token", Number(mia))).token;

  await asAdmin('/api/v1/groups', 'POST', { name: 'deploy' });
  await asAdmin('/api/v1/groups/deploy/members/gabe-gh', 'PUT');
  for (const name of ['shared', 'deployers', 'elsewhere']) await asAdmin('/api/v1/contexts', 'POST', { name });
  await asAdmin('/api/v1/contexts/shared/variables/SHARED_VALUE', 'PUT', { value: 'shared-value-5678' });
  await asAdmin('/api/v1/contexts/deployers/variables/DEPLOY_KEY', 'PUT', { value: 'deploy-key-9012' });
  await asAdmin('/api/v1/contexts/elsewhere/variables/ELSEWHERE', 'PUT', { value: 'elsewhere-3456' });
  await asAdmin('/api/v1/contexts/deployers/restrictions', 'PUT', { groups: ['deploy'], projects: null });
  await asAdmin('/api/v1/contexts/elsewhere/restrictions', 'PUT', { groups: null, projects: [other.id] });
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'contexts-builder' });
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Triggers a pipeline on main as mia, through the API with her token. */
async function triggerAsMia(): Promise<number> {
  const response = await fetch(`${gyre.base}/api/v1/projects/${project.id}/pipelines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${miaToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'main' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

/** Leases until the job named `name` of the pipeline is handed out; other pipelines' jobs succeed. */
async function leaseOf(pipelineId: number, name: string): Promise<JobLease> {
  const ids = new Set((await waitForJobs(gyre, pipelineId, (jobs) => jobs.length > 0)).map((j) => j.id));
  return until(`job ${name} of pipeline ${pipelineId} to be leased`, async () => {
    const { leases } = await builder.lease(4);
    let found: JobLease | undefined;
    for (const lease of leases) {
      if (ids.has(lease.jobId) && lease.context.jobName === name) found = lease;
      else await builder.run(lease);
    }
    return found;
  });
}

const messageOf = async (jobId: number) =>
  (await db.query<{ message: string | null }>('SELECT message FROM jobs WHERE id = $1', [jobId])).rows[0]!.message;

describe('contexts', () => {
  it('give a job the variables of the contexts it may use, and end unauthorized the jobs that may not', async () => {
    // WHEN mia, who is in no group, triggers the pipeline
    const pipelineId = await triggerAsMia();
    const planned = await waitForJobs(gyre, pipelineId, (jobs) => jobs.length === 4);
    // THEN the jobs naming a context she, or the project, may not use end unauthorized at once, saying why
    expect(Object.fromEntries(planned.map((j) => [j.name, j.state]))).toEqual({
      build: 'queued',
      deploy: 'unauthorized',
      other: 'unauthorized',
      missing: 'unauthorized',
    });
    expect(await messageOf(byName(planned, 'deploy').id)).toBe(
      'context "deployers" is restricted to the group "deploy", and mia, who started the pipeline, is in none of them',
    );
    expect(await messageOf(byName(planned, 'other').id)).toBe(
      'project acme/app may not use context "elsewhere"; an administrator adds the project to the context\'s projects',
    );
    expect(await messageOf(byName(planned, 'missing').id)).toBe(
      'context "nope" does not exist; an administrator creates it in the admin console (Contexts)',
    );
    // AND the job she may run gets the project's variables and the shared context's, no other
    const build = await leaseOf(pipelineId, 'build');
    expect(build.variables).toEqual({ PROJECT_VALUE: 'project-value-1234', SHARED_VALUE: 'shared-value-5678' });
    await builder.run(build);
    const ended = await waitForJobs(gyre, pipelineId);
    expect(byName(ended, 'build').state).toBe('success');
    expect((await gyre.client.workflows(pipelineId))[0]!.state).toBe('failed');
  }, 120_000);

  it('follow group membership: once mia joins the group her deploy job gets the restricted context', async () => {
    await asAdmin('/api/v1/groups/deploy/members/mia', 'PUT');
    try {
      const pipelineId = await triggerAsMia();
      await builder.run(await leaseOf(pipelineId, 'build'));
      const deploy = await leaseOf(pipelineId, 'deploy');
      expect(deploy.variables).toEqual({
        PROJECT_VALUE: 'project-value-1234',
        SHARED_VALUE: 'shared-value-5678',
        DEPLOY_KEY: 'deploy-key-9012',
      });
      await builder.run(deploy);
    } finally {
      await asAdmin('/api/v1/groups/deploy/members/mia', 'DELETE');
    }
  }, 120_000);

  it('are checked again at lease time: a membership removed after planning ends the job unauthorized, unleased', async () => {
    await asAdmin('/api/v1/groups/deploy/members/mia', 'PUT');
    const pipelineId = await triggerAsMia();
    const planned = await waitForJobs(gyre, pipelineId, (jobs) => jobs.length === 4);
    expect(byName(planned, 'deploy').state).toBe('blocked');
    await asAdmin('/api/v1/groups/deploy/members/mia', 'DELETE');
    await builder.run(await leaseOf(pipelineId, 'build'));
    // The builder is never handed the deploy job; it ends unauthorized instead.
    const deployId = byName(planned, 'deploy').id;
    const jobs = await until('deploy to end', async () => {
      const { leases } = await builder.lease(4);
      expect(leases.filter((l) => l.jobId === deployId)).toEqual([]);
      for (const lease of leases) await builder.run(lease);
      const now = (await gyre.client.workflows(pipelineId)).flatMap((w) => w.jobs);
      return byName(now, 'deploy').state === 'unauthorized' ? now : undefined;
    });
    expect(await messageOf(byName(jobs, 'deploy').id)).toMatch(/restricted to the group "deploy", and mia/);
  }, 120_000);

  it('follow the GitHub user behind a push: the account signed in with GitHub under that login', async () => {
    const { sha } = await git.push('app', { '.circleci/config.yml': CONFIG, 'pushed.txt': 'by gabe' });
    const push = (login: string) => {
      const payload = JSON.parse(
        pushPayloadFor(sha, { repository: { full_name: REPOSITORY, name: 'app' } }).toString(),
      ) as { sender: { login: string } };
      payload.sender.login = login;
      return deliverWebhook(
        `${gyre.base}/webhooks/github?project=${project.id}`,
        Buffer.from(JSON.stringify(payload)),
        project.webhookSecret,
      );
    };
    const byGabe = ((await (await push('gabe-gh')).json()) as { pipeline: { id: number } }).pipeline.id;
    await builder.run(await leaseOf(byGabe, 'build'));
    expect((await leaseOf(byGabe, 'deploy')).variables).toMatchObject({ DEPLOY_KEY: 'deploy-key-9012' });

    const byStranger = ((await (await push('stranger')).json()) as { pipeline: { id: number } }).pipeline.id;
    const planned = await waitForJobs(gyre, byStranger, (jobs) => jobs.length === 4);
    expect(await messageOf(byName(planned, 'deploy').id)).toBe(
      'context "deployers" is restricted to the group "deploy", and the GitHub user stranger, whose push or pull request started the pipeline, is in none of them',
    );
  }, 120_000);

  it("are kept from builds of a fork's pull request", async () => {
    const pipelineId = await deliverForkPullRequest(gyre, git, project, {
      repo: 'app',
      repository: REPOSITORY,
      headRepository: 'someone/app',
      branch: 'fork-change',
      config: CONFIG,
      sender: 'gabe-gh',
    });
    const planned = await waitForJobs(gyre, pipelineId, (jobs) => jobs.length === 4);
    expect(byName(planned, 'build').state).toBe('unauthorized');
    expect(await messageOf(byName(planned, 'build').id)).toBe(
      'builds of pull requests from forks get no contexts, and this job uses "shared"; a maintainer can pass secrets to builds from forks in the project\'s settings',
    );
  }, 120_000);

  it('show names and last characters, never values, and refuse bad input naming it', async () => {
    const context = (await (await asAdmin('/api/v1/contexts/deployers', 'GET')).json()) as Record<string, unknown>;
    expect(context).toMatchObject({
      name: 'deployers',
      groups: ['deploy'],
      projects: null,
      variables: [{ name: 'DEPLOY_KEY', last4: '9012', updatedAt: expect.any(String) }],
    });
    expect(JSON.stringify(await (await asAdmin('/api/v1/contexts', 'GET')).json())).not.toContain('deploy-key');

    const unknown = await gyre.api('/api/v1/contexts/deployers/restrictions', {
      method: 'PUT',
      body: { groups: ['deploy', 'no-such-group'], projects: [999_999] },
    });
    expect(unknown.status).toBe(400);
    const problems = JSON.stringify(await unknown.json());
    expect(problems).toContain('there is no group \\"no-such-group\\"');
    expect(problems).toContain('there is no project 999999');
    // Nothing changed.
    expect(await (await asAdmin('/api/v1/contexts/deployers', 'GET')).json()).toMatchObject({ groups: ['deploy'] });

    const badName = await gyre.api('/api/v1/contexts', { method: 'POST', body: { name: 'has space' } });
    expect(badName.status).toBe(400);
    const taken = await gyre.api('/api/v1/contexts', { method: 'POST', body: { name: 'shared' } });
    expect(taken.status).toBe(409);

    const audited = await db.query<{ action: string; detail: unknown }>(
      "SELECT action, detail FROM audit_log WHERE target = 'context:deployers' ORDER BY id",
    );
    expect(audited.rows.map((r) => r.action)).toEqual(['context.create', 'context.variable_set', 'context.restrict']);
    expect(JSON.stringify(audited.rows)).not.toContain('deploy-key');
  }, 60_000);
});
