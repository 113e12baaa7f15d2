import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { GyreEnvironment, type StartedGyreEnvironment } from 'gyre-ci';

let gyre: StartedGyreEnvironment;

beforeAll(async () => {
  gyre = await new GyreEnvironment().withBuilders(1).start();
}, 300_000);

afterAll(() => gyre?.stop(), 120_000);

test('my pipeline runs on Gyre', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'my-project-'));
  await mkdir(join(folder, '.circleci'));
  await writeFile(
    join(folder, '.circleci/config.yml'),
    `version: 2.1
jobs:
  build:
    docker: [{ image: debian:bookworm-slim }]
    steps: [checkout, { run: echo built }]
workflows:
  main: { jobs: [build] }
`,
  );
  const project = await gyre.createProject(folder);
  const result = await gyre.waitForPipeline(await gyre.triggerPipeline(project));
  expect(result.job('build').state).toBe('success');
  expect(await gyre.jobLog(result.job('build'))).toContain('built');
}, 300_000);
