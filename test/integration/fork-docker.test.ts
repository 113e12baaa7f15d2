import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverForkPullRequest } from '../support/github-examples.js';
import { byName, waitForJobs } from '../support/pipeline-runs.js';
import { allowDockerInBuilds, startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the real services app on a real PostgreSQL and a real git server, a project (acme/images)
// that an administrator allowed Docker in builds, and that builds forks' pull requests without
// passing them its secrets.
// WHEN a fork's pull request delivers a config with a job that needs Docker and one that does not
// THEN the Docker job ends at once, unauthorized, saying why and what a maintainer can do; the
// other is queued as usual.
const REPOSITORY = 'acme/images';
const CONFIG = `version: 2.1
jobs:
  image: { docker: [{ image: alpine }], steps: [setup_remote_docker, { run: docker build . }] }
  vm: { machine: true, steps: [{ run: docker info }] }
  unit: { docker: [{ image: alpine }], steps: [{ run: "true" }] }
workflows:
  main: { jobs: [image, vm, unit] }
`;
let gyre: ServicesUnderTest;
let git: GitServer;
let project: { id: number; webhookSecret: string };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('images');
  const created = await gyre.api('/api/v1/projects', {
    body: { name: 'acme/images', gitUrl: git.url('images'), repository: REPOSITORY },
  });
  expect(created.status).toBe(201);
  project = (await created.json()) as typeof project;
  await allowDockerInBuilds(gyre, project.id);
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

describe("Docker in builds for a fork's pull request", () => {
  it('refuses the jobs that need Docker when the build gets no secrets, and queues the others', async () => {
    const pipelineId = await deliverForkPullRequest(gyre, git, project, {
      repo: 'images',
      repository: REPOSITORY,
      headRepository: 'someone/images',
      branch: 'from-fork',
      config: CONFIG,
    });
    const jobs = await waitForJobs(gyre, pipelineId, (planned) => planned.length === 3);
    expect(jobs.map((j) => [j.name, j.state]).sort()).toEqual([
      ['image', 'unauthorized'],
      ['unit', 'queued'],
      ['vm', 'unauthorized'],
    ]);
    const job = (await (await gyre.api(`/api/v1/jobs/${byName(jobs, 'image').id}`)).json()) as { message: string };
    expect(job.message).toBe(
      "builds of pull requests from forks get no Docker in builds, and this job uses setup_remote_docker; a maintainer can pass secrets to builds from forks in the project's settings, which gives them Docker in builds where an administrator allowed the project it, and then rerun the job",
    );
  }, 120_000);

  it('refuses to rerun such a job while the build gets no secrets, and reruns it once the project passes forks its secrets', async () => {
    const pipelineId = await deliverForkPullRequest(gyre, git, project, {
      repo: 'images',
      repository: REPOSITORY,
      headRepository: 'someone/images',
      branch: 'only-docker',
      config:
        'version: 2.1\njobs:\n  image: { machine: true, steps: [{ run: docker info }] }\nworkflows:\n  main: { jobs: [image] }\n',
    });
    expect((await waitForJobs(gyre, pipelineId, (planned) => planned.length === 1)).map((j) => j.state)).toEqual([
      'unauthorized',
    ]);
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
      items: { id: number }[];
    };
    const rerun = () => gyre.api(`/api/v1/workflows/${workflows.items[0]!.id}/rerun-failed`, { method: 'POST' });
    const refused = await rerun();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "you may not rerun these jobs: builds of pull requests from forks get no Docker in builds, and this job uses the machine executor; a maintainer can pass secrets to builds from forks in the project's settings, which gives them Docker in builds where an administrator allowed the project it, and then rerun the job",
    );
    await gyre.api(`/api/v1/projects/${project.id}`, { method: 'PATCH', body: { passSecretsToForks: true } });
    expect((await rerun()).status).toBe(200);
    expect((await waitForJobs(gyre, pipelineId, (jobs) => jobs[0]?.state === 'queued')).map((j) => j.state)).toEqual([
      'queued',
    ]);
  }, 120_000);
});
