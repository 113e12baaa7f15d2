import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ArtifactListResponse } from '../../src/api/responses.js';
import { GyreEnvironment, type GyreProject, type JobView, type StartedGyreEnvironment } from '../../src/index.js';
import { startGitHubDouble, type GitHubDouble, type RecordedStatus } from '../support/github-double.js';
import { deliverWebhook, pushPayloadFor } from '../support/github-examples.js';
import { until } from '../support/until.js';

// GIVEN the whole platform from the package's own testcontainers module: the services stack (app
// and PostgreSQL) and one builder on real Docker, and a real git server holding the project's
// repository. The GitHub API double runs on this host, listening on every interface and known to
// Gyre by the Docker bridge gateway address (where the app's container reaches this host), and is
// configured through the admin console with a status token. Every commit reaches Gyre as GitHub's
// own push payload, signed with the project's webhook secret and posted to its webhook URL.
const REPOSITORY = 'acme/shop';

const GREEN = `version: 2.1
jobs:
  test:
    docker:
      - image: gyre/postgres:15
      - image: gyre/postgres:15
        name: db
        environment: { POSTGRES_PASSWORD: pw }
    steps:
      - checkout
      - run:
          name: query db by name
          command: |
            for i in $(seq 1 120); do pg_isready -q -h db -U postgres && break; sleep 0.5; done
            PGPASSWORD=pw psql -h db -U postgres -tAc 'select 1'
      - run: cat greeting.txt
  deploy:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo "deploying $CIRCLE_SHA1" | tee /tmp/release.txt
      - store_artifacts: { path: /tmp/release.txt, destination: release.txt }
workflows:
  ci:
    jobs: [test, { deploy: { requires: [test] } }]
`;

const RED = `version: 2.1
jobs:
  test:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo before
      - run: { name: tests, command: "echo '3 examples, 1 failure'; exit 3" }
workflows:
  ci:
    jobs: [test]
`;

// Line 4, column 5: a `macos` executor, which Gyre does not run.
const INVALID = `version: 2.1
jobs:
  build:
    macos: { xcode: 15.4.0 }
    steps: [checkout]
workflows:
  ci:
    jobs: [build]
`;

const LINES = 120;
// Numbered lines spread over ~30 s, so that the app restarts while the job runs.
const SLOW = `version: 2.1
jobs:
  count:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.25; done
workflows:
  ci:
    jobs: [count]
`;

let gyre: StartedGyreEnvironment;
let github: GitHubDouble;
let folder: string;
let project: GyreProject;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gyre-e2e-'));
  await mkdir(join(folder, '.circleci'));
  await writeFile(join(folder, '.circleci/config.yml'), GREEN);
  await writeFile(join(folder, 'greeting.txt'), 'hello from acme/shop\n');
  gyre = await new GyreEnvironment().withBuilders(1).start();
  github = await startGitHubDouble({ host: '0.0.0.0', urlHost: gyre.hostAddress });
  await gyre.configureGitHub({
    baseUrl: github.baseUrl,
    apiUrl: github.apiUrl,
    clientId: github.clientId,
    clientSecret: github.clientSecret,
    statusToken: github.apiToken,
  });
  project = await gyre.createProject(folder, { name: REPOSITORY });
}, 400_000);

afterAll(async () => {
  await gyre?.stop();
  await github?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
}, 120_000);

/** Commits `files` to `branch` on the git server, then delivers GitHub's signed push webhook for it; returns the pipeline and commit. */
async function pushAndDeliver(
  files: Readonly<Record<string, string>>,
  branch: string,
): Promise<{ pipelineId: number; sha: string }> {
  const sha = await gyre.push(
    project,
    { ...files, 'change.txt': randomUUID() },
    { branch, message: `change on ${branch}` },
  );
  const body = pushPayloadFor(sha, {
    branch,
    message: `commit ${sha.slice(0, 7)}`,
    repository: { full_name: REPOSITORY, name: 'shop', default_branch: project.defaultBranch },
  });
  const response = await deliverWebhook(project.webhookUrl, body, project.webhookSecret);
  const answer = (await response.json()) as { pipeline?: { id: number } };
  expect({ status: response.status, answer }).toEqual({
    status: 202,
    answer: { pipeline: { id: expect.any(Number), number: expect.any(Number), state: 'pending' } },
  });
  return { pipelineId: answer.pipeline!.id, sha };
}

const statusesOf = (sha: string): RecordedStatus[] => github.statuses.filter((s) => s.sha === sha);
/** The commit's statuses once `count` have arrived, as [state, context] pairs. */
const settledStatuses = async (sha: string, count: number) =>
  (
    await until(
      `${count} commit statuses on ${sha}`,
      () => (statusesOf(sha).length >= count ? statusesOf(sha) : undefined),
      { intervalMs: 200 },
    )
  ).map((s) => [s.state, s.context]);

interface JobDetail {
  readonly state: string;
  readonly message: string | null;
  readonly attempts: readonly {
    readonly steps: readonly {
      readonly index: number;
      readonly name: string;
      readonly status: string;
      readonly exitCode: number | null;
    }[];
  }[];
}
const jobDetail = async (job: JobView): Promise<JobDetail> =>
  (await (await gyre.api(`/api/v1/jobs/${job.id}`)).json()) as JobDetail;

describe('Gyre end to end, from a GitHub push to a commit status', () => {
  it("delivers webhooks to the environment's own UI URL", () => {
    expect(project.webhookUrl).toBe(`${gyre.uiUrl}/webhooks/github?project=${project.id}`);
  });

  it('green: runs a two-job workflow whose first job talks to a PostgreSQL service by name, and reports pending then success', async () => {
    const { pipelineId, sha } = await pushAndDeliver({}, 'main');
    const pending = await until('the pending status', () => statusesOf(sha)[0], { intervalMs: 200 });
    expect(pending).toEqual({
      repo: REPOSITORY,
      sha,
      state: 'pending',
      context: 'gyre/ci',
      description: 'Workflow ci is running',
      targetUrl: `${gyre.uiUrl}/pipelines/${pipelineId}`,
    });

    const result = await gyre.waitForPipeline(pipelineId, { timeoutMs: 180_000 });
    expect(result.pipeline).toMatchObject({ state: 'created', sha, branch: 'main', trigger: 'push' });
    expect(result.jobs.map((j) => [j.name, j.state])).toEqual([
      ['test', 'success'],
      ['deploy', 'success'],
    ]);
    const log = await gyre.jobLog(result.job('test'));
    expect(log).toMatch(/^1$/m);
    expect(log).toContain('hello from acme/shop');
    expect(await gyre.jobLog(result.job('deploy'))).toContain(`deploying ${sha}`);
    // The agent's container uploaded the artifact to the app's container, which keeps it on its data volume
    const artifacts = (await (
      await gyre.api(`/api/v1/jobs/${result.job('deploy').id}/artifacts`)
    ).json()) as ArtifactListResponse;
    expect(artifacts.items.map((a) => a.path)).toEqual(['release.txt']);
    expect(await (await gyre.api(new URL(artifacts.items[0]!.url).pathname)).text()).toBe(`deploying ${sha}\n`);

    expect(await settledStatuses(sha, 2)).toEqual([
      ['pending', 'gyre/ci'],
      ['success', 'gyre/ci'],
    ]);
    expect(statusesOf(sha)[1]!.description).toBe('Workflow ci succeeded: 2 jobs passed');
  }, 240_000);

  it('red: fails the job on a step that exits 3, shows the exit code and the log, and reports failure', async () => {
    const { pipelineId, sha } = await pushAndDeliver({ '.circleci/config.yml': RED }, 'red');
    const result = await gyre.waitForPipeline(pipelineId, { timeoutMs: 120_000 });
    const test = result.job('test');
    expect(test.state).toBe('failed');
    const detail = await jobDetail(test);
    expect(detail.message).toBe('step 2 `tests` exited with 3');
    expect(
      detail.attempts
        .at(-1)!
        .steps.filter((s) => s.index > 0)
        .map((s) => [s.name, s.exitCode]),
    ).toEqual([
      ['echo before', 0],
      ['tests', 3],
    ]);
    const log = await gyre.jobLog(test);
    expect(log).toContain('before');
    expect(log).toContain('3 examples, 1 failure');

    expect(await settledStatuses(sha, 2)).toEqual([
      ['pending', 'gyre/ci'],
      ['failure', 'gyre/ci'],
    ]);
    expect(statusesOf(sha)[1]!.description).toBe('Workflow ci failed: test failed');
  }, 180_000);

  it('invalid config: puts the pipeline in state error naming line and column, and reports error', async () => {
    const { pipelineId, sha } = await pushAndDeliver({ '.circleci/config.yml': INVALID }, 'broken');
    const result = await gyre.waitForPipeline(pipelineId, { timeoutMs: 60_000 });
    expect(result.pipeline.state).toBe('error');
    expect(result.jobs).toEqual([]);
    expect(result.pipeline.error).toMatchObject({
      kind: 'config',
      errors: [expect.objectContaining({ line: 4, column: 5 })],
    });
    expect(result.pipeline.error!.message).toMatch(/line 4, column 5/);

    const [status] = await until('the error status', () => (statusesOf(sha).length > 0 ? statusesOf(sha) : undefined), {
      intervalMs: 200,
    });
    expect(status).toMatchObject({
      state: 'error',
      context: 'gyre',
      targetUrl: `${gyre.uiUrl}/pipelines/${pipelineId}`,
    });
    expect(status!.description).toMatch(/^Invalid config: .*line 4, column 5/);
  }, 120_000);

  it('restart: restarting the services app while a job runs loses nothing; the build succeeds with every log line exactly once', async () => {
    const { pipelineId, sha } = await pushAndDeliver({ '.circleci/config.yml': SLOW }, 'slow');
    const job = await until(
      'the job to print its first lines',
      async () => {
        const { items } = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
          items: { jobs: JobView[] }[];
        };
        const count = items[0]?.jobs[0];
        return count?.state === 'running' && /^line 8$/m.test(await gyre.jobLog(count)) ? count : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );

    await gyre.restartServices();
    // The job is still running after the restart: the restart really happened mid-build.
    expect((await jobDetail(job)).state).toBe('running');

    const result = await gyre.waitForPipeline(pipelineId, { timeoutMs: 180_000 });
    expect(result.jobs.map((j) => [j.name, j.state, j.attempt])).toEqual([['count', 'success', 1]]);
    const numbered = (await gyre.jobLog(job)).split(/\r?\n/).filter((line) => /^line \d+$/.test(line));
    expect(numbered).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));

    expect(await settledStatuses(sha, 2)).toEqual([
      ['pending', 'gyre/ci'],
      ['success', 'gyre/ci'],
    ]);
  }, 300_000);
});
