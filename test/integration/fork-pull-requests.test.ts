import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/builder/agent/agent.js';
import { startAgent } from '../support/agent-under-test.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverWebhook, pullRequestExample } from '../support/github-examples.js';
import { jobLog, waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the real services app, a real git server, a real agent, and a project with a secret
// variable whose job says whether it sees the secret and what it knows of its pull request.
const SECRET = 'fork-secret-Vq3-9';
const CONFIG = `version: 2.1
jobs:
  check:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: |
          if [ -n "\${DEPLOY_TOKEN:-}" ]; then echo "secret: present"; else echo "secret: absent"; fi
          echo "pr=\${CIRCLE_PR_NUMBER:-none} user=\${CIRCLE_PR_USERNAME:-none} repo=\${CIRCLE_PR_REPONAME:-none}"
          echo "url=\${CIRCLE_PULL_REQUEST:-none}"
workflows:
  main: { jobs: [check] }
`;

let gyre: ServicesUnderTest;
let git: GitServer;
let agent: Agent;
let project: { id: number; webhookSecret: string };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('app');
  await git.push('app', { '.circleci/config.yml': CONFIG });
  project = await gyre.client.createProject({ name: 'acme/app', gitUrl: git.url('app'), repository: 'acme/app' });
  expect(
    (
      await gyre.api(`/api/v1/projects/${project.id}/variables/DEPLOY_TOKEN`, {
        method: 'PUT',
        body: { value: SECRET },
      })
    ).status,
  ).toBe(204);
  agent = await startAgent(gyre.base, 'fork-agent');
}, 300_000);

afterAll(async () => {
  agent?.drain();
  await agent?.done;
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/**
 * Opens pull request `number` as GitHub would announce it: its head commit is at refs/pull/N/head
 * of the project's repository, and its head branch lives in `headRepository`.
 */
async function openPullRequest(number: number, headRepository: string): Promise<Response> {
  const { sha } = await git.push(
    'app',
    { '.circleci/config.yml': CONFIG, 'change.txt': `pr ${number}` },
    {
      branch: `pr-${number}`,
    },
  );
  await git.updateRef('app', `refs/pull/${number}/head`, sha);
  const payload = pullRequestExample('opened');
  Object.assign(payload, { number });
  Object.assign(payload.pull_request, { number, html_url: `https://github.com/acme/app/pull/${number}` });
  Object.assign(payload.repository, { full_name: 'acme/app', name: 'app' });
  payload.pull_request.head.repo = structuredClone(payload.repository);
  Object.assign(payload.pull_request.head, { sha, ref: `pr-${number}` });
  Object.assign(payload.pull_request.head.repo, { full_name: headRepository, name: headRepository.split('/')[1] });
  return deliverWebhook(
    `${gyre.base}/webhooks/github?project=${project.id}`,
    Buffer.from(JSON.stringify(payload)),
    project.webhookSecret,
    { event: 'pull_request' },
  );
}

/** Opens the pull request and returns the log of its one job once it finished. */
async function buildLog(number: number, headRepository: string): Promise<string> {
  const delivered = await openPullRequest(number, headRepository);
  expect(delivered.status).toBe(202);
  const { pipeline } = (await delivered.json()) as { pipeline: { id: number } };
  return logOf(pipeline.id);
}

/** The log of the pipeline's one job once it finished. */
async function logOf(pipelineId: number): Promise<string> {
  const [job] = await waitForJobs(gyre, pipelineId);
  expect(job!.state).toBe('success');
  return jobLog(gyre, job!.id);
}

describe('pull requests from forks', () => {
  it("build without the project's secrets, and with CircleCI's CIRCLE_PR_* variables", async () => {
    const log = await buildLog(11, 'mallory/app-fork');
    expect(log).toContain('secret: absent');
    expect(log).toMatch(/^pr=11 user=\S+ repo=app-fork$/m);
    expect(log).toContain('url=https://github.com/acme/app/pull/11');

    // A rerun, which any member may start, is still the fork's build.
    const pipelines = (await (await gyre.api(`/api/v1/projects/${project.id}/pipelines`)).json()) as {
      items: { id: number }[];
    };
    const rerun = await gyre.api(`/api/v1/pipelines/${pipelines.items[0]!.id}/rerun`, { method: 'POST' });
    expect(rerun.status).toBe(201);
    const rerunLog = await logOf(((await rerun.json()) as { id: number }).id);
    expect(rerunLog).toContain('secret: absent');
    expect(rerunLog).toMatch(/^pr=11 user=\S+ repo=app-fork$/m);
  }, 180_000);

  it("from the project's own repository build with its secrets, and without CIRCLE_PR_*", async () => {
    const log = await buildLog(12, 'acme/app');
    expect(log).toContain('secret: present');
    expect(log).toContain('pr=none user=none repo=none');
    expect(log).toContain('url=https://github.com/acme/app/pull/12');
  }, 180_000);

  it('get the secrets only once a maintainer passes them to forks, and start nothing once forks are not built', async () => {
    const change = (body: object) => gyre.api(`/api/v1/projects/${project.id}`, { method: 'PATCH', body });
    expect((await change({ passSecretsToForks: true })).status).toBe(200);
    expect(await buildLog(13, 'mallory/app-fork')).toContain('secret: present');

    expect(await (await change({ buildForkPullRequests: false })).json()).toMatchObject({
      buildForkPullRequests: false,
      passSecretsToForks: true,
    });
    const ignored = await openPullRequest(14, 'mallory/app-fork');
    expect({ status: ignored.status, body: await ignored.json() }).toEqual({
      status: 202,
      body: {
        ignored: 'pull request #14 comes from a fork, and project acme/app does not build pull requests from forks',
      },
    });
    const pipelines = (await (await gyre.api(`/api/v1/projects/${project.id}/pipelines`)).json()) as {
      items: { detail: { pullRequest?: { number: number } } }[];
    };
    expect(pipelines.items.map((p) => p.detail.pullRequest?.number)).not.toContain(14);
  }, 180_000);
});
