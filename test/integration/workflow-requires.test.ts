import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

interface JobView {
  id: number;
  name: string;
  requires: string[];
  state: string;
}

interface WorkflowView {
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
  builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'requires-builder' });
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Pushes the config to `branch`, triggers a pipeline there and waits for its workflow. */
async function pipelineOn(branch: string): Promise<number> {
  await git.push('requires', { '.circleci/config.yml': config, 'change.txt': branch }, { branch });
  const created = await gyre.api(`/api/v1/projects/${projectId}/pipelines`, { body: { branch } });
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
