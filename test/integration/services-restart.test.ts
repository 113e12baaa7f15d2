import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { JobStore } from '../../src/services/stores/jobs/job-store.js';
import { PipelineStore } from '../../src/services/stores/pipelines/pipeline-store.js';
import { packageRoot } from '../../src/shared/package-files.js';
import { freePort } from '../../src/testing/free-port.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverWebhook, EXAMPLE_REPOSITORY, pushPayloadFor } from '../support/github-examples.js';
import { startTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startServicesApp } from '../support/services-app.js';
import { testGitAllowedHosts, TEST_SECRETS } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN a real PostgreSQL that outlives the services app, a real git server holding the project's
// repository, and the services app started and stopped on that database as a restart would.
let database: TestDatabase;
let git: GitServer;
let db: Database;
let project: { id: number; webhookSecret: string };
let token: string;

const config = (workflow: string, jobs: readonly string[]) => `version: 2.1
jobs:
${jobs.map((name) => `  ${name}: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: echo ${name} }] }`).join('\n')}
workflows:
  ${workflow}:
    jobs: [${jobs.map((name, i) => (i === 0 ? name : `{ ${name}: { requires: [${jobs[i - 1]}] } }`)).join(', ')}]
`;

interface PipelineView {
  readonly id: number;
  readonly state: string;
  readonly sha: string;
  readonly branch: string;
}

/** The pipeline's state as the database holds it, whether or not an app is up. */
const storedState = async (id: number) =>
  (await db.query<{ state: string }>('SELECT state FROM pipelines WHERE id = $1', [id])).rows[0]!.state;

/** Each workflow with its jobs as [name, requires, state]. */
async function workflowsOf(api: (path: string) => Promise<Response>, pipelineId: number) {
  const answer = (await (await api(`/api/v1/pipelines/${pipelineId}/workflows`)).json()) as {
    items: { name: string; jobs: { name: string; requires: string[]; state: string }[] }[];
  };
  return answer.items.map((w) => ({ name: w.name, jobs: w.jobs.map((j) => [j.name, j.requires, j.state]) }));
}

/** Waits until the pipeline is no longer pending, through the API of the app that was started. */
async function settled(
  api: (path: string) => Promise<Response>,
  id: number,
  timeoutMs = 60_000,
): Promise<PipelineView> {
  return until(
    `pipeline ${id} to leave pending`,
    async () => {
      const pipeline = (await (await api(`/api/v1/pipelines/${id}`)).json()) as PipelineView;
      return pipeline.state !== 'pending' ? pipeline : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

beforeAll(async () => {
  [database, git] = await Promise.all([startTestDatabase(), startGitServer()]);
  db = createDatabasePool(database.url, pino({ level: 'silent' }));
  await git.createRepo('app');
  // The first start migrates the database and makes the project and a token; then it stops.
  const app = await startServicesApp(database.url);
  const created = await app.api('/api/v1/projects', {
    body: { name: 'acme/app', gitUrl: git.url('app'), repository: EXAMPLE_REPOSITORY },
  });
  project = (await created.json()) as typeof project;
  token = app.token;
  await app.close();
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([database?.stop(), git?.stop()]);
}, 120_000);

describe('pipelines left pending by a restart', () => {
  it('are planned once the services app starts again when they were created while it was down', async () => {
    // GIVEN two pending pipelines stored while no services app runs, on two branches with their own config
    const main = await git.push('app', { '.circleci/config.yml': config('main', ['build', 'test']) });
    const release = await git.push(
      'app',
      { '.circleci/config.yml': config('release', ['package']) },
      { branch: 'release' },
    );
    const pipelines = new PipelineStore(db, new JobStore(db, () => Promise.resolve()));
    const pending = [
      await pipelines.createPending({
        projectId: project.id,
        trigger: 'api',
        ref: 'refs/heads/main',
        branch: 'main',
        sha: main.sha,
        detail: { requestedBy: null },
      }),
      await pipelines.createPending({
        projectId: project.id,
        trigger: 'api',
        ref: 'refs/heads/release',
        branch: 'release',
        sha: release.sha,
        detail: { requestedBy: null },
      }),
    ];
    expect([await storedState(pending[0]!.id), await storedState(pending[1]!.id)]).toEqual(['pending', 'pending']);

    // WHEN the services app starts on that database
    const app = await startServicesApp(database.url, { token });
    try {
      expect(await settled(app.api, pending[0]!.id)).toMatchObject({ state: 'created', sha: main.sha, branch: 'main' });
      expect(await settled(app.api, pending[1]!.id)).toMatchObject({
        state: 'created',
        sha: release.sha,
        branch: 'release',
      });
      expect(await workflowsOf(app.api, pending[0]!.id)).toEqual([
        {
          name: 'main',
          jobs: [
            ['build', [], 'queued'],
            ['test', ['build'], 'blocked'],
          ],
        },
      ]);
      expect(await workflowsOf(app.api, pending[1]!.id)).toEqual([
        { name: 'release', jobs: [['package', [], 'queued']] },
      ]);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('are planned when `gyre serve` was killed while planning one and is started again', async () => {
    // GIVEN `gyre serve` as its own process, planning a pushed commit while the git server does not answer
    const dataDir = mkdtempSync(join(tmpdir(), 'gyre-data-'));
    const gitContainer = new Docker().getContainer(git.containerId);
    const { sha } = await git.push('app', { '.circleci/config.yml': config('after-crash', ['compile', 'verify']) });
    const first = await startServeProcess(dataDir);
    let second: ServeProcess | undefined;
    try {
      await gitContainer.pause();
      const delivered = await deliverWebhook(
        `${first.base}/webhooks/github?project=${project.id}`,
        pushPayloadFor(sha, { branch: 'main' }),
        project.webhookSecret,
      );
      expect(delivered.status).toBe(202);
      const { pipeline } = (await delivered.json()) as { pipeline: { id: number } };
      // The planner is inside git, waiting on the server, when the process dies.
      await until('the planner to run git', () => childCommands(first.child.pid!).includes('git'));
      expect(await storedState(pipeline.id)).toBe('pending');

      // WHEN the process is killed (with everything it started, as a container would be) and started again
      process.kill(-first.child.pid!, 'SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      expect(await storedState(pipeline.id)).toBe('pending');
      await gitContainer.unpause();
      second = await startServeProcess(dataDir);

      const api = (path: string) => fetch(`${second!.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(await settled(api, pipeline.id)).toMatchObject({ state: 'created', sha, branch: 'main' });
      expect(await workflowsOf(api, pipeline.id)).toEqual([
        {
          name: 'after-crash',
          jobs: [
            ['compile', [], 'queued'],
            ['verify', ['compile'], 'blocked'],
          ],
        },
      ]);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await gitContainer.unpause().catch(() => undefined);
      for (const serve of [first, second])
        if (serve && serve.child.exitCode === null && serve.child.signalCode === null)
          process.kill(-serve.child.pid!, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

interface ServeProcess {
  readonly child: ChildProcess;
  readonly base: string;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  output(): string;
}

/** `gyre serve` (dist/cli.js) in its own process group, on the test database, once it answers /healthz. */
async function startServeProcess(dataDir: string): Promise<ServeProcess> {
  const [httpPort, adminPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(packageRoot, 'dist/cli.js'), 'serve'], {
    cwd: dataDir,
    detached: true,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...TEST_SECRETS,
      GYRE_DATABASE_URL: database.url,
      GYRE_HTTP_PORT: String(httpPort),
      GYRE_ADMIN_PORT: String(adminPort),
      GYRE_DATA_DIR: dataDir,
      // The test git server is on loopback or the Docker bridge, which Gyre refuses unless allowed.
      GYRE_GIT_ALLOWED_HOSTS: (await testGitAllowedHosts()).join(','),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await until(
      'gyre serve to answer /healthz',
      async () =>
        child.exitCode === null &&
        (await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )),
    );
  } catch (error) {
    throw new Error(`gyre serve did not answer; its output:\n${output}`, { cause: error });
  }
  return { child, base, exited, output: () => output };
}

/** The command names of a process's children. */
function childCommands(pid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
