import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/builder/agent/agent.js';
import { jobsMayReach, startAgent } from '../support/agent-under-test.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL with its schedule loop on a clock the test moves, a
// real git server, and a real builder agent running jobs in containers on this Docker Engine. The
// project's config has what teams' configs have: a matrix, a job on three nodes that splits its
// test files by the timings of its last stored test results (with Gyre's `circleci tests`), an
// approval before the deploy, and a workflow that only a nightly schedule runs.
const CONFIG = `version: 2.1
jobs:
  lint:
    parameters:
      tool: { type: string }
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo "lint with << parameters.tool >>"
  tests:
    docker: [{ image: debian:bookworm-slim }]
    parallelism: 3
    steps:
      - checkout
      - run:
          name: run this node's share of the specs
          command: |
            circleci tests glob "spec/*.spec" | circleci tests split --split-by=timings > mine.txt
            echo "node $CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL runs: $(tr '\\n' ' ' < mine.txt)"
            mkdir -p results
            {
              echo '<testsuite name="specs">'
              while read -r spec; do
                echo "<testcase classname=\\"specs\\" name=\\"$spec\\" file=\\"$spec\\" time=\\"$(cat "$spec")\\"/>"
              done < mine.txt
              echo '</testsuite>'
            } > results/junit.xml
      - store_test_results: { path: results }
  deploy:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo "deploying from $CIRCLE_WORKFLOW_NAME"
workflows:
  ci:
    jobs:
      - lint: { matrix: { parameters: { tool: [eslint, prettier] } } }
      - tests: { requires: [lint] }
      - hold: { type: approval, requires: [tests] }
      - deploy: { requires: [hold] }
  nightly:
    triggers:
      - schedule: { cron: "0 0 * * *", filters: { branches: { only: main } } }
    jobs: [deploy]
`;

// Each spec file holds the seconds its test "takes"; the tests job reports them as its timings.
const SPECS = { a: 9, b: 8, c: 7, d: 3, e: 2, f: 1 };

let gyre: ServicesUnderTest;
let git: GitServer;
let agent: Agent | undefined;
let projectId: number;
let clock = new Date();

interface JobView {
  id: number;
  name: string;
  state: string;
  nodeIndex: number;
  nodeTotal: number;
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([
    startServicesUnderTest({ scheduleFiring: { intervalMs: 100, now: () => clock } }),
    startGitServer(),
  ]);
  await git.createRepo('features');
  await git.push('features', {
    '.circleci/config.yml': CONFIG,
    ...Object.fromEntries(Object.entries(SPECS).map(([name, seconds]) => [`spec/${name}.spec`, `${seconds}\n`])),
  });
  const created = await gyre.api('/api/v1/projects', {
    body: { name: 'acme/features', gitUrl: git.url('features') },
  });
  projectId = ((await created.json()) as { id: number }).id;
  agent = await startAgent(gyre.base, 'features-builder', jobsMayReach(git.egressEntry));
}, 300_000);

afterAll(async () => {
  if (agent) {
    agent.drain();
    await agent.done;
  }
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 180_000);

async function jobsOf(pipelineId: number): Promise<JobView[]> {
  const answer = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
    items: { jobs: JobView[] }[];
  };
  return answer.items.flatMap((w) => w.jobs);
}

/** Waits until the pipeline's jobs have the states `want` gives by job label, `name` or `name/node`. */
async function jobsReach(pipelineId: number, want: Record<string, string>): Promise<JobView[]> {
  return until(
    `pipeline ${pipelineId} to reach ${JSON.stringify(want)}`,
    async () => {
      const jobs = await jobsOf(pipelineId);
      const label = (j: JobView) => (j.nodeTotal > 1 ? `${j.name}/${j.nodeIndex}` : j.name);
      const states = Object.fromEntries(jobs.map((j) => [label(j), j.state]));
      return JSON.stringify(states) === JSON.stringify(want) ? jobs : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

async function trigger(): Promise<number> {
  const created = await gyre.api(`/api/v1/projects/${projectId}/pipelines`, { body: { branch: 'main' } });
  expect(created.status).toBe(201);
  return ((await created.json()) as { id: number }).id;
}

/** Each node's "node i/3 runs: …" line. */
async function sharesOf(jobs: readonly JobView[]): Promise<string[]> {
  const nodes = jobs.filter((j) => j.name === 'tests').sort((a, b) => a.nodeIndex - b.nodeIndex);
  return Promise.all(
    nodes.map(async (node) => {
      const log = await (await gyre.api(`/api/v1/jobs/${node.id}/log?attempt=latest`)).text();
      return (/^node \d\/3 runs: .*$/m.exec(log)?.[0] ?? log).trim();
    }),
  );
}

const DONE_UP_TO_HOLD = {
  'lint-eslint': 'success',
  'lint-prettier': 'success',
  'tests/0': 'success',
  'tests/1': 'success',
  'tests/2': 'success',
};

describe('a matrix, parallel test splitting by timings, an approval and a nightly schedule', () => {
  it('runs the matrix, then three nodes that split by name without timings, and holds the deploy for approval', async () => {
    const pipelineId = await trigger();
    const jobs = await jobsReach(pipelineId, { ...DONE_UP_TO_HOLD, hold: 'on_hold', deploy: 'blocked' });
    // No job stored timings yet: sorted names in even runs, and the nodes say why.
    expect(await sharesOf(jobs)).toEqual([
      'node 0/3 runs: spec/a.spec spec/b.spec',
      'node 1/3 runs: spec/c.spec spec/d.spec',
      'node 2/3 runs: spec/e.spec spec/f.spec',
    ]);
    const log = await (await gyre.api(`/api/v1/jobs/${jobs.find((j) => j.name === 'tests')!.id}/log`)).text();
    expect(log).toContain('no test timings stored for this job yet');

    // WHEN a member approves the hold, the deploy runs and the workflow succeeds
    const hold = jobs.find((j) => j.name === 'hold')!;
    expect((await gyre.api(`/api/v1/jobs/${hold.id}/approve`, { method: 'POST' })).status).toBe(200);
    await jobsReach(pipelineId, { ...DONE_UP_TO_HOLD, hold: 'success', deploy: 'success' });
  }, 300_000);

  it('splits by the timings the first run stored on the next run, and a canceled approval ends the workflow', async () => {
    const pipelineId = await trigger();
    const jobs = await jobsReach(pipelineId, { ...DONE_UP_TO_HOLD, hold: 'on_hold', deploy: 'blocked' });
    // 9 → 0, 8 → 1, 7 → 2, 3 → 2, 2 → 1, 1 → 0: ten seconds each.
    expect(await sharesOf(jobs)).toEqual([
      'node 0/3 runs: spec/a.spec spec/f.spec',
      'node 1/3 runs: spec/b.spec spec/e.spec',
      'node 2/3 runs: spec/c.spec spec/d.spec',
    ]);
    const hold = jobs.find((j) => j.name === 'hold')!;
    expect((await gyre.api(`/api/v1/jobs/${hold.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await jobsReach(pipelineId, { ...DONE_UP_TO_HOLD, hold: 'canceled', deploy: 'not_run' });
  }, 300_000);

  it('runs the nightly workflow, and only it, when its schedule fires', async () => {
    const DAY = 24 * 3600_000;
    clock = new Date(Math.ceil(Date.now() / DAY) * DAY + 30_000);
    const fired = await until(
      'the nightly schedule to fire',
      async () => {
        const listed = (await (await gyre.api(`/api/v1/projects/${projectId}/pipelines`)).json()) as {
          items: { id: number; trigger: string; state: string }[];
        };
        return listed.items.find((p) => p.trigger === 'schedule' && p.state !== 'pending');
      },
      { timeoutMs: 60_000 },
    );
    const jobs = await jobsReach(fired.id, { deploy: 'success' });
    const log = await (await gyre.api(`/api/v1/jobs/${jobs[0]!.id}/log`)).text();
    expect(log).toContain('deploying from nightly');
  }, 300_000);
});
