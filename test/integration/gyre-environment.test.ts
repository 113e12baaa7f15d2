import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GyreEnvironment, type GyreProject, type StartedGyreEnvironment } from '../../src/index.js';

// Only the package's public API: what a user's own integration tests would write.
const CONFIG = `version: 2.1
jobs:
  a:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - checkout
      - run: cat hello.txt
  b:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - checkout
      - run: cat hello.txt
workflows:
  main:
    jobs: [a, { b: { requires: [a] } }]
`;

let gyre: StartedGyreEnvironment;
let folder: string;
let project: GyreProject;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gyre-env-project-'));
  await mkdir(join(folder, '.circleci'));
  await writeFile(join(folder, '.circleci/config.yml'), CONFIG);
  await writeFile(join(folder, 'hello.txt'), 'hello from the test folder\n');
  gyre = await new GyreEnvironment().withBuilders(1).start();
  project = await gyre.createProject(folder, { name: 'acme/hello' });
}, 400_000);

afterAll(async () => {
  await gyre?.stop();
  await rm(folder, { recursive: true, force: true });
}, 120_000);

describe('GyreEnvironment', () => {
  it('serves the UI, the admin console and the API with the admin token, and lists its builder', async () => {
    // Signed out, the UI sends the visitor to its sign-in page.
    const home = await fetch(gyre.uiUrl, { redirect: 'manual' });
    expect({ status: home.status, location: home.headers.get('location') }).toEqual({
      status: 302,
      location: '/login?next=%2F',
    });
    const signIn = await fetch(new URL('/login?next=%2F', gyre.uiUrl));
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('<h1>Sign in to Gyre</h1>');
    const packageVersion = (
      JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }
    ).version;
    const health = await fetch(`${gyre.adminUrl}/healthz`);
    expect({ status: health.status, answer: await health.json() }).toEqual({
      status: 200,
      answer: {
        status: 'ok',
        version: packageVersion,
        database: { state: 'up', latencyMs: expect.any(Number), serverVersion: expect.stringMatching(/^15\./) },
      },
    });
    expect((await fetch(`${gyre.apiUrl}/api/v1/projects`)).status).toBe(401);
    const builders = (await (await gyre.api('/api/v1/builders')).json()) as {
      items: { name: string; state: string }[];
    };
    expect(builders.items.map((b) => [b.name, b.state])).toEqual([[gyre.builders[0], 'active']]);
    expect(project).toMatchObject({
      name: 'acme/hello',
      defaultBranch: 'main',
      gitUrl: expect.stringMatching(/^git:\/\//),
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(project.webhookUrl).toMatch(new RegExp(`^http://.*/webhooks/github\\?project=${project.id}$`));
    expect(project.webhookSecret).toEqual(expect.any(String));
  });

  it('runs a two-job workflow from the folder on its builder: both succeed and the log shows the file', async () => {
    const pipeline = await gyre.triggerPipeline(project);
    expect(pipeline.sha).toBe(project.sha);
    const result = await gyre.waitForPipeline(pipeline.id, { timeoutMs: 240_000 });
    expect(result.pipeline.state).toBe('created');
    expect(result.jobs.map((j) => [j.name, j.state])).toEqual([
      ['a', 'success'],
      ['b', 'success'],
    ]);
    const log = await (await gyre.api(`/api/v1/jobs/${result.job('a').id}/log`)).text();
    expect(log).toContain('hello from the test folder');
  }, 300_000);

  it('pushes a change to a new branch and runs it there', async () => {
    const sha = await gyre.push(
      project,
      { 'hello.txt': 'hello from a pushed branch\n' },
      { branch: 'feature/x', message: 'change greeting' },
    );
    const pipeline = await gyre.triggerPipeline(project, 'feature/x');
    expect(pipeline.sha).toBe(sha);
    const result = await gyre.waitForPipeline(pipeline, { timeoutMs: 240_000 });
    expect(result.jobs.map((j) => j.state)).toEqual(['success', 'success']);
    expect(await gyre.jobLog(result.job('b'))).toContain('hello from a pushed branch');
  }, 300_000);

  it('reports a pipeline whose config is invalid as finished in state error', async () => {
    await gyre.push(
      project,
      { '.circleci/config.yml': 'version: 2.1\njobs: {}\nworkflows:\n  main:\n    jobs: [missing]\n' },
      { branch: 'broken' },
    );
    const result = await gyre.waitForPipeline(await gyre.triggerPipeline(project, 'broken'), { timeoutMs: 60_000 });
    expect(result.pipeline.state).toBe('error');
    expect(result.jobs).toEqual([]);
  }, 120_000);
});
