import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL, a project whose config lives on a real git server,
// and a builder speaking the real protocol; pipelines are triggered through the API on a branch.
let gyre: ServicesUnderTest;
let git: GitServer;
let builder: SimulatedBuilder;
let projectId: number;
let approvalProjectId: number;
let db: Database;

// On a feature branch `build` is filtered out: `publish` waits for `lint` alone, `package` (which
// requires only `build`) is not planned, and neither is `sign`, which requires `package`.
// `on-lint-failure` waits for `lint` to fail, `after-lint` for it to end in any way.
const config = `version: 2.1
jobs:
  j: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  ci:
    jobs:
      - j: { name: lint }
      - j: { name: build, filters: { branches: { only: main } } }
      - j: { name: publish, requires: [lint, build] }
      - j: { name: package, requires: [build] }
      - j: { name: sign, requires: [package] }
      - j: { name: on-lint-failure, requires: [{ lint: failed }] }
      - j: { name: after-lint, requires: [{ lint: terminal }] }
`;

// An approval between build and deploy: the workflow waits there for a member's decision.
const approvalConfig = `version: 2.1
jobs:
  j: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  release:
    jobs:
      - j: { name: build }
      - hold: { type: approval, requires: [build] }
      - j: { name: deploy, requires: [hold] }
`;

interface JobView {
  id: number;
  name: string;
  requires: string[];
  state: string;
}

interface WorkflowView {
  id: number;
  name: string;
  state: string;
  jobs: JobView[];
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('requires');
  await git.push('requires', { '.circleci/config.yml': config });
  const created = await gyre.api('/api/v1/projects', { body: { name: 'acme/requires', gitUrl: git.url('requires') } });
  projectId = ((await created.json()) as { id: number }).id;
  await git.createRepo('approvals');
  await git.push('approvals', { '.circleci/config.yml': approvalConfig });
  const approvals = await gyre.api('/api/v1/projects', {
    body: { name: 'acme/approvals', gitUrl: git.url('approvals') },
  });
  approvalProjectId = ((await approvals.json()) as { id: number }).id;
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'requires-builder' });
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Pushes the config to `branch`, triggers a pipeline there and waits for its workflow. */
async function pipelineOn(branch: string, repo = 'requires', text = config, project = projectId): Promise<number> {
  await git.push(repo, { '.circleci/config.yml': text, 'change.txt': branch }, { branch });
  const created = await gyre.api(`/api/v1/projects/${project}/pipelines`, { body: { branch } });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: number };
  await until(
    `pipeline ${id} to be planned`,
    async () => {
      const pipeline = (await (await gyre.api(`/api/v1/pipelines/${id}`)).json()) as { state: string };
      return pipeline.state === 'pending' ? undefined : pipeline;
    },
    { intervalMs: 200 },
  );
  return id;
}

async function workflowOf(pipelineId: number): Promise<WorkflowView> {
  const answer = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
    items: WorkflowView[];
  };
  expect(answer.items).toHaveLength(1);
  return answer.items[0]!;
}

/** Each job as [name, requires, state]. */
const jobsOf = async (pipelineId: number) =>
  (await workflowOf(pipelineId)).jobs.map((j) => [j.name, j.requires, j.state]);

/** Leases the one queued job, checks it is `name`, and runs it to `outcome`. */
async function runNext(pipelineId: number, name: string, outcome: 'success' | 'failed'): Promise<void> {
  const job = (await workflowOf(pipelineId)).jobs.find((j) => j.name === name)!;
  const { leases } = await builder.lease(4);
  expect(leases.map((l) => l.jobId)).toEqual([job.id]);
  await builder.run(leases[0]!, outcome);
}

describe('requires', () => {
  it('ignores a filtered-out requirement, plans no job whose requirements were all filtered out, and ends a job waiting for a failure not_run when there is none', async () => {
    // WHEN a pipeline runs on a feature branch and lint succeeds
    const pipelineId = await pipelineOn('feature');

    // THEN publish waits for lint alone; package and sign are not planned at all
    expect(await jobsOf(pipelineId)).toEqual([
      ['lint', [], 'queued'],
      ['publish', ['lint'], 'blocked'],
      ['on-lint-failure', ['lint'], 'blocked'],
      ['after-lint', ['lint'], 'blocked'],
    ]);
    await runNext(pipelineId, 'lint', 'success');

    // AND publish and after-lint run; on-lint-failure waits for a failure that cannot happen any more
    expect(await jobsOf(pipelineId)).toEqual([
      ['lint', [], 'success'],
      ['publish', ['lint'], 'queued'],
      ['on-lint-failure', ['lint'], 'not_run'],
      ['after-lint', ['lint'], 'queued'],
    ]);
    const { leases } = await builder.lease(4);
    expect(leases).toHaveLength(2);
    for (const lease of leases) await builder.run(lease, 'success');

    // AND the workflow succeeded: a failure handler that did not run is no failure
    expect(await workflowOf(pipelineId)).toMatchObject({
      state: 'success',
      jobs: [
        { name: 'lint', state: 'success' },
        { name: 'publish', state: 'success' },
        { name: 'on-lint-failure', state: 'not_run' },
        { name: 'after-lint', state: 'success' },
      ],
    });
  }, 120_000);

  it('runs the job waiting for a failure after the failure, and not the ones waiting for success', async () => {
    // WHEN lint fails
    const pipelineId = await pipelineOn('feature-2');
    await runNext(pipelineId, 'lint', 'failed');

    // THEN publish never runs, while on-lint-failure and after-lint do
    expect(await jobsOf(pipelineId)).toEqual([
      ['lint', [], 'failed'],
      ['publish', ['lint'], 'not_run'],
      ['on-lint-failure', ['lint'], 'queued'],
      ['after-lint', ['lint'], 'queued'],
    ]);
    const { leases } = await builder.lease(4);
    expect(leases).toHaveLength(2);
    for (const lease of leases) await builder.run(lease, 'success');

    // AND the workflow failed, as lint did
    expect(await workflowOf(pipelineId)).toMatchObject({
      state: 'failed',
      jobs: [
        { name: 'lint', state: 'failed' },
        { name: 'publish', state: 'not_run' },
        { name: 'on-lint-failure', state: 'success' },
        { name: 'after-lint', state: 'success' },
      ],
    });
  }, 120_000);

  it('keeps every requirement on a branch where nothing is filtered out', async () => {
    const pipelineId = await pipelineOn('main');
    expect(await jobsOf(pipelineId)).toEqual([
      ['lint', [], 'queued'],
      ['build', [], 'queued'],
      ['publish', ['lint', 'build'], 'blocked'],
      ['package', ['build'], 'blocked'],
      ['sign', ['package'], 'blocked'],
      ['on-lint-failure', ['lint'], 'blocked'],
      ['after-lint', ['lint'], 'blocked'],
    ]);
    // Cancel it, so no job of it is left queued.
    expect((await gyre.api(`/api/v1/pipelines/${pipelineId}/cancel`, { method: 'POST' })).status).toBeLessThan(300);
  }, 120_000);
});

describe('reruns in an ended workflow', () => {
  const post = async (path: string) => {
    const answer = await gyre.api(path, { method: 'POST' });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  it('reruns from failed: the failed job and the jobs after it run again in the workflow, the others keep their result', async () => {
    // GIVEN a workflow that failed: lint failed, so publish did not run, while the failure handlers did
    const pipelineId = await pipelineOn('rerun-1');
    await runNext(pipelineId, 'lint', 'failed');
    for (const lease of (await builder.lease(4)).leases) await builder.run(lease, 'success');
    const workflow = await workflowOf(pipelineId);
    expect(workflow.state).toBe('failed');
    const lint = workflow.jobs.find((j) => j.name === 'lint')!;

    // WHEN a member reruns it from failed
    const rerun = await post(`/api/v1/workflows/${workflow.id}/rerun-failed`);

    // THEN lint runs again and publish waits for it; the handlers that ran keep their result
    expect(rerun).toEqual({ status: 200, body: expect.objectContaining({ pipelineId, jobs: ['lint'] }) });
    expect(await workflowOf(pipelineId)).toMatchObject({
      state: 'running',
      jobs: [
        { name: 'lint', state: 'queued' },
        { name: 'publish', state: 'blocked' },
        { name: 'on-lint-failure', state: 'success' },
        { name: 'after-lint', state: 'success' },
      ],
    });
    const again = await post(`/api/v1/jobs/${lint.id}/rerun`);
    expect([again.status, again.body]).toEqual([409, { error: expect.objectContaining({ code: 'workflow_running' }) }]);
    const { leases } = await builder.lease(4);
    expect(leases.map((l) => [l.jobId, l.attempt])).toEqual([[lint.id, 2]]);
    await builder.run(leases[0]!, 'success');
    await runNext(pipelineId, 'publish', 'success');
    expect((await workflowOf(pipelineId)).state).toBe('success');
    const nothing = await post(`/api/v1/workflows/${workflow.id}/rerun-failed`);
    expect([nothing.status, nothing.body]).toEqual([
      409,
      { error: expect.objectContaining({ code: 'nothing_to_rerun' }) },
    ]);

    // WHEN one job that succeeded is rerun, it alone runs again, as its third attempt
    expect((await post(`/api/v1/jobs/${lint.id}/rerun`)).status).toBe(200);
    const queued = (await (await gyre.api(`/api/v1/jobs/${lint.id}`)).json()) as { message: string };
    expect(queued.message).toMatch(/^Rerun by token:/);
    expect((await workflowOf(pipelineId)).jobs.map((j) => [j.name, j.state])).toEqual([
      ['lint', 'queued'],
      ['publish', 'success'],
      ['on-lint-failure', 'success'],
      ['after-lint', 'success'],
    ]);
    await runNext(pipelineId, 'lint', 'success');
    const detail = (await (await gyre.api(`/api/v1/jobs/${lint.id}`)).json()) as {
      attempts: { attempt: number; outcome: string }[];
    };
    expect(detail.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'success'],
      [3, 'success'],
    ]);
    const audit = await db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE action IN ('workflow.rerun_failed', 'job.rerun') ORDER BY id",
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['workflow.rerun_failed', 'job.rerun']);
  }, 120_000);

  it('refuses to rerun a job whose contexts the caller may not use', async () => {
    const refused = `version: 2.1
jobs:
  j: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  release:
    jobs: [{ j: { name: deploy, context: no-such-context } }]
`;
    const pipelineId = await pipelineOn('rerun-contexts', 'approvals', refused, approvalProjectId);
    const workflow = await workflowOf(pipelineId);
    expect(workflow.jobs.map((j) => j.state)).toEqual(['unauthorized']);
    const rerun = await post(`/api/v1/workflows/${workflow.id}/rerun-failed`);
    expect(rerun.status).toBe(403);
    expect(rerun.body).toEqual({
      error: expect.objectContaining({
        code: 'context_refused',
        message: expect.stringContaining('context "no-such-context" does not exist') as unknown,
      }),
    });
    expect((await workflowOf(pipelineId)).state).toBe('failed');
  }, 120_000);
});

describe('approval jobs', () => {
  const releaseOn = (branch: string) => pipelineOn(branch, 'approvals', approvalConfig, approvalProjectId);
  const jobNamed = async (pipelineId: number, name: string) =>
    (await workflowOf(pipelineId)).jobs.find((j) => j.name === name)!;
  const auditOf = async (jobId: number) =>
    (
      await db.query<{ actor: string; action: string }>('SELECT actor, action FROM audit_log WHERE target = $1', [
        `job:${jobId}`,
      ])
    ).rows;

  it('hold the workflow once their requirements end, until a member approves; the audit log names who', async () => {
    // GIVEN a pipeline whose build succeeded
    const pipelineId = await releaseOn('release-1');
    expect(await jobsOf(pipelineId)).toEqual([
      ['build', [], 'queued'],
      ['hold', ['build'], 'blocked'],
      ['deploy', ['hold'], 'blocked'],
    ]);
    const hold = await jobNamed(pipelineId, 'hold');
    const early = await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'not_on_hold' } });
    await runNext(pipelineId, 'build', 'success');

    // THEN the approval is on hold, no builder is offered anything, and the workflow is still running
    expect(await jobsOf(pipelineId)).toEqual([
      ['build', [], 'success'],
      ['hold', ['build'], 'on_hold'],
      ['deploy', ['hold'], 'blocked'],
    ]);
    expect((await builder.lease(4)).leases).toEqual([]);
    expect((await workflowOf(pipelineId)).state).toBe('running');

    // WHEN a job that is no approval is "approved", nothing changes
    const build = await jobNamed(pipelineId, 'build');
    const wrong = await gyre.api(`/api/v1/jobs/${build.id}/approve`, { method: 'POST' });
    expect(wrong.status).toBe(409);
    expect(await wrong.json()).toMatchObject({ error: { code: 'not_an_approval' } });

    // WHEN the approval is approved
    const approved = await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ type: 'approval', state: 'success', spec: null });

    // THEN deploy runs, once, and the workflow succeeds
    expect((await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' })).status).toBe(409);
    await runNext(pipelineId, 'deploy', 'success');
    expect(await workflowOf(pipelineId)).toMatchObject({ state: 'success' });
    const detail = (await (await gyre.api(`/api/v1/jobs/${hold.id}`)).json()) as { message: string };
    expect(detail.message).toMatch(/^Approved by token:/);
    expect(await auditOf(hold.id)).toEqual([{ actor: expect.stringMatching(/^token:/), action: 'approval.approve' }]);
  }, 120_000);

  it('end the workflow canceled when canceled, and the jobs after them do not run', async () => {
    const pipelineId = await releaseOn('release-2');
    await runNext(pipelineId, 'build', 'success');
    const hold = await jobNamed(pipelineId, 'hold');

    const canceled = await gyre.api(`/api/v1/jobs/${hold.id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(await canceled.json()).toEqual({ canceled: 1, signalled: 0 });

    expect(await workflowOf(pipelineId)).toMatchObject({
      state: 'canceled',
      jobs: [
        { name: 'build', state: 'success' },
        { name: 'hold', state: 'canceled' },
        { name: 'deploy', state: 'not_run' },
      ],
    });
    expect(await auditOf(hold.id)).toEqual([{ actor: expect.stringMatching(/^token:/), action: 'approval.cancel' }]);
  }, 120_000);

  it('with a context, may be approved only by someone who may use the context, as in CircleCI', async () => {
    // GIVEN a context restricted to the group ops, which the caller (a token without an account) is not in
    const admin = (path: string, method: string, body: unknown) => gyre.api(path, { method, body });
    expect((await admin('/api/v1/groups', 'POST', { name: 'ops' })).status).toBe(201);
    expect((await admin('/api/v1/contexts', 'POST', { name: 'deployers' })).status).toBe(201);
    const restrict = (groups: string[] | null) =>
      admin('/api/v1/contexts/deployers/restrictions', 'PUT', { groups, projects: null });
    expect((await restrict(['ops'])).status).toBe(200);
    const gated = approvalConfig.replace('{ type: approval,', '{ type: approval, context: deployers,');
    const pipelineId = await pipelineOn('release-gated', 'approvals', gated, approvalProjectId);
    await runNext(pipelineId, 'build', 'success');
    const hold = await jobNamed(pipelineId, 'hold');
    expect(hold.state).toBe('on_hold');

    // WHEN the caller approves, THEN it is refused and the workflow still waits
    const refused = await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { code: 'context_refused', message: expect.stringContaining('you may not approve this job') as unknown },
    });
    expect((await jobNamed(pipelineId, 'hold')).state).toBe('on_hold');

    // WHEN the context is open to every account, THEN the same caller may approve
    expect((await restrict(null)).status).toBe(200);
    expect((await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' })).status).toBe(200);
    await runNext(pipelineId, 'deploy', 'success');
    expect((await workflowOf(pipelineId)).state).toBe('success');
  }, 120_000);
});

describe('auto-cancel of redundant pipelines (a project setting)', () => {
  const releaseOn = (branch: string) => pipelineOn(branch, 'approvals', approvalConfig, approvalProjectId);
  const statesOf = async (pipelineId: number) => (await workflowOf(pipelineId)).jobs.map((j) => j.state);

  it('is off by default; on, a new pipeline on a non-default branch cancels what is left of the earlier ones there', async () => {
    // GIVEN two pipelines on a feature branch while the setting is off: neither cancels the other
    const first = await releaseOn('feature-x');
    const second = await releaseOn('feature-x');
    expect(await statesOf(first)).toEqual(['queued', 'blocked', 'blocked']);

    // WHEN a maintainer turns it on and a third pipeline comes to the branch
    const changed = await gyre.api(`/api/v1/projects/${approvalProjectId}`, {
      method: 'PATCH',
      body: { autoCancelRedundant: true },
    });
    expect(await changed.json()).toMatchObject({ autoCancelRedundant: true });
    const third = await releaseOn('feature-x');

    // THEN both earlier ones end canceled, saying why, and the newest is untouched
    for (const earlier of [first, second]) {
      expect(await workflowOf(earlier)).toMatchObject({ state: 'canceled' });
      expect(await statesOf(earlier)).toEqual(['canceled', 'canceled', 'canceled']);
    }
    const build = (await workflowOf(first)).jobs[0]!;
    const detail = (await (await gyre.api(`/api/v1/jobs/${build.id}`)).json()) as { message: string };
    expect(detail.message).toMatch(/^Canceled by system:auto-cancel for pipeline #\d+$/);
    expect(await statesOf(third)).toEqual(['queued', 'blocked', 'blocked']);

    // AND on the default branch nothing is redundant
    const onMain = await releaseOn('main');
    const againOnMain = await releaseOn('main');
    expect(await statesOf(onMain)).toEqual(['queued', 'blocked', 'blocked']);

    // Leave nothing queued for the other tests' builder.
    for (const id of [third, onMain, againOnMain])
      expect((await gyre.api(`/api/v1/pipelines/${id}/cancel`, { method: 'POST' })).status).toBe(200);
  }, 120_000);
});
