import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/builder/agent/agent.js';
import {
  docker,
  jobsMayReach,
  leftoversOf,
  objectsOf,
  POOL_SIZE,
  spawnAgent,
  startAgent,
  untilNothingLeftBy,
} from '../support/agent-under-test.js';
import { LABELS } from '../../src/shared/labels.js';
import { runGyreAsync } from '../support/cli.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { byName, jobDetail, jobLog, pushAndTrigger, waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL, a real git server, and `gyre agent` running
// jobs in containers on this machine's Docker Engine with locally built images only.
let gyre: ServicesUnderTest;
let git: GitServer;
let project: { repo: string; projectId: number };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest({ reapIntervalMs: 500 }), startGitServer()]);
  await git.createRepo('app');
  // The job containers reach the git server at its bridge address, as the services app does.
  const gitUrl = git.url('app');
  const created = (await (await gyre.api('/api/v1/projects', { body: { name: 'acme/app', gitUrl } })).json()) as {
    id: number;
  };
  project = { repo: 'app', projectId: created.id };
  await gyre.api(`/api/v1/projects/${created.id}/variables/PROJECT_TOKEN`, {
    method: 'PUT',
    body: { value: 's3cret' },
  });
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

const run = (config: string, files: Readonly<Record<string, string>> = {}) =>
  pushAndTrigger(gyre, git, project, config, files);

describe('an agent running real jobs', () => {
  let agent: Agent;

  beforeAll(async () => {
    agent = await startAgent(gyre.base, 'agent-main', jobsMayReach(git.egressEntry));
  }, 60_000);

  afterAll(async () => {
    agent?.drain();
    await agent?.done;
  }, 120_000);

  it('runs a two-job workflow whose primary reaches its database service by name, with checkout and project variables', async () => {
    const pipeline = await run(
      `version: 2.1
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
            PGPASSWORD=pw psql -h db -U postgres -tAc "select 40 + 2"
      - run: cat greeting.txt && echo "job=$CIRCLE_JOB branch=$CIRCLE_BRANCH" && [ "$PROJECT_TOKEN" = "s3""cret" ] && echo project-variable-ok
      - run:
          name: show where the variable is
          command: |
            echo "step variables: $(env | cut -d= -f1 | sort | tr '\\n' ' ')"
            echo "step command line: $(tr '\\0' ' ' < /proc/$$/cmdline)"
            echo "container environment: $(tr '\\0' ' ' < /proc/1/environ)"
  deploy:
    docker: [{ image: debian:bookworm-slim }]
    steps: [{ run: echo "deploying $CIRCLE_SHA1" }]
workflows:
  main:
    jobs: [test, { deploy: { requires: [test] } }]
`,
      { 'greeting.txt': 'hello from the repository\n' },
    );
    const jobs = await waitForJobs(gyre, pipeline);
    const test = byName(jobs, 'test');
    expect(jobs.map((j) => [j.name, j.state])).toEqual([
      ['test', 'success'],
      ['deploy', 'success'],
    ]);
    const log = await jobLog(gyre, test.id);
    expect(log).toMatch(/^42$/m);
    expect(log).toContain('hello from the repository');
    expect(log).toContain('job=test branch=main');
    expect(log).toContain('project-variable-ok');
    // The value is nowhere in the config (split as "s3""cret" above), and the job prints the names
    // of its step's variables, its own command line and the container's environment: the value
    // shows up in the log only if the agent mishandles it, say by writing variables into the step's
    // script or the container's environment (readable with `docker inspect` on the builder), or
    // by logging them itself.
    expect(log).toMatch(/^step variables: .*\bPROJECT_TOKEN\b/m);
    expect(log).toMatch(/^step command line: .* -c echo "step variables: /m);
    expect(log).toMatch(/^container environment: .*\bPATH=/m);
    expect(log).not.toContain('s3cret');
    const detail = await jobDetail(gyre, test.id);
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]!.builder).toBe('agent-main');
    expect(detail.attempts[0]!.steps.filter((s) => s.index > 0).map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['Checkout code', 'finished', 0],
      ['query db by name', 'finished', 0],
      [expect.stringContaining('cat greeting.txt'), 'finished', 0],
      ['show where the variable is', 'finished', 0],
    ]);
    expect(await jobLog(gyre, byName(jobs, 'deploy').id)).toMatch(/deploying [0-9a-f]{40}/);
    await untilNothingLeftBy('agent-main');
  }, 180_000);

  it('fails a job on a failing step with its exit code, skips the next step and still runs `when: always`', async () => {
    const pipeline = await run(`version: 2.1
jobs:
  build:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo before
      - run: { name: tests, command: "echo failing on purpose; exit 3" }
      - run: echo should-not-run
      - run: { name: always, command: echo cleanup-ran, when: always }
workflows:
  main: { jobs: [build] }
`);
    const [build] = await waitForJobs(gyre, pipeline);
    expect(build!.state).toBe('failed');
    const detail = await jobDetail(gyre, build!.id);
    expect(detail.message).toBe('step 2 `tests` exited with 3');
    const steps = detail.attempts[0]!.steps.filter((s) => s.index > 0).map((s) => [s.name, s.exitCode]);
    expect(steps).toEqual([
      ['echo before', 0],
      ['tests', 3],
      ['always', 0],
    ]);
    const log = await jobLog(gyre, build!.id);
    expect(log).toContain('failing on purpose');
    expect(log).toContain('cleanup-ran');
    expect(log).not.toContain('should-not-run');
  }, 120_000);

  it('runs background steps alongside, fails a silent step at no_output_timeout, and cancels a running job', async () => {
    const pipeline = await run(`version: 2.1
jobs:
  background:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: { name: server, command: "sleep 1; echo ready > /tmp/ready; sleep 600", background: true }
      - run: for i in $(seq 1 40); do [ -f /tmp/ready ] && break; sleep 0.25; done; cat /tmp/ready
  silent:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: { name: hangs, command: "echo start; sleep 60", no_output_timeout: 2s }
  long:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: echo long-started; sleep 600
workflows:
  main: { jobs: [background, silent, long] }
`);
    // The cancel comes once `silent` met its timeout: with 2 slots for 3 jobs, it may start last,
    // and a cancel before its 2 s were up would cancel it instead.
    await waitForJobs(
      gyre,
      pipeline,
      (jobs) =>
        jobs.some((j) => j.name === 'long' && j.state === 'running') &&
        jobs.some((j) => j.name === 'silent' && j.state === 'failed'),
      120_000,
    );
    const longId = byName(await waitForJobs(gyre, pipeline, () => true), 'long').id;
    await until('job long to print long-started', async () => (await jobLog(gyre, longId)).includes('long-started'), {
      intervalMs: 200,
    });
    expect((await gyre.api(`/api/v1/pipelines/${pipeline}/cancel`, { method: 'POST' })).status).toBe(200);
    const jobs = await waitForJobs(gyre, pipeline);
    expect(byName(jobs, 'background').state).toBe('success');
    expect(await jobLog(gyre, byName(jobs, 'background').id)).toMatch(/^ready$/m);
    expect(byName(jobs, 'silent').state).toBe('failed');
    expect((await jobDetail(gyre, byName(jobs, 'silent').id)).message).toBe(
      'step 1 `hangs` was killed after 2s without output (no_output_timeout)',
    );
    expect(byName(jobs, 'long').state).toBe('canceled');
    await untilNothingLeftBy('agent-main');
  }, 180_000);

  it('refuses pipeline YAML that asks for privileged mode or host mounts, naming the line', async () => {
    const pipeline = await run(`version: 2.1
jobs:
  escape:
    docker: [{ image: debian:bookworm-slim }]
    privileged: true
    volumes: ["/:/host"]
    steps: [{ run: ls /host }]
workflows:
  main: { jobs: [escape] }
`);
    const view = await until(
      `pipeline ${pipeline} to leave pending`,
      async () => {
        const p = (await (await gyre.api(`/api/v1/pipelines/${pipeline}`)).json()) as {
          state: string;
          error: { errors: { line: number; message: string }[] } | null;
        };
        return p.state === 'pending' ? undefined : p;
      },
      { intervalMs: 200 },
    );
    expect(view.state).toBe('error');
    const messages = view.error!.errors.map((e) => `${e.line}: ${e.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^5: .*privileged/), expect.stringMatching(/^6: .*host mounts/)]),
    );
  }, 60_000);
});

describe('draining', () => {
  it('SIGTERM while 2 jobs run: both finish, no new job is taken, the builder is drained and the agent exits 0', async () => {
    const agent = await spawnAgent(gyre.base, 'agent-drain', mkdtempSync(join(tmpdir(), 'gyre-agent-')));
    const pipeline = await run(`version: 2.1
jobs:
  one: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: sleep 4; echo one-done }] }
  two: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: sleep 4; echo two-done }] }
  three: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: echo three-done }] }
workflows:
  main: { jobs: [one, two, three] }
`);
    const running = await waitForJobs(
      gyre,
      pipeline,
      (jobs) => jobs.filter((j) => j.state === 'running').length === 2,
      120_000,
    );
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const after = await waitForJobs(gyre, pipeline, () => true);
    const ran = running.filter((j) => j.state === 'running').map((j) => j.name);
    for (const name of ran) expect(byName(after, name).state).toBe('success');
    const left = after.filter((j) => !ran.includes(j.name));
    expect(left.map((j) => j.state)).toEqual(['queued']);
    const builders = (await (await gyre.api('/api/v1/builders')).json()) as {
      items: { name: string; state: string }[];
    };
    expect(builders.items.find((b) => b.name === 'agent-drain')?.state).toBe('drained');
    expect(agent.output()).toContain('drained; exiting');
    // Another builder takes the job the drained one left.
    const helper = await startAgent(gyre.base, 'agent-after-drain');
    expect((await waitForJobs(gyre, pipeline)).map((j) => j.state)).toEqual(['success', 'success', 'success']);
    helper.drain();
    expect((await helper.done).code).toBe(0);
  }, 180_000);
});

describe('draining on the box and stopping at once', () => {
  it('`gyre agent drain` on the box drains an idle agent: exit 0 for both, state drained', async () => {
    const agent = await spawnAgent(gyre.base, 'agent-local-drain', mkdtempSync(join(tmpdir(), 'gyre-agent-')));
    await until('the agent to open its local API', () => agent.output().includes('local API listening'), {
      intervalMs: 200,
    });
    const drain = await runGyreAsync(['agent', 'drain', '--api-port', String(agent.apiPort)]);
    expect(drain.stderr).toBe('');
    expect(drain.status).toBe(0);
    expect(drain.stdout).toContain('Builder agent-local-drain is drained');
    expect(await agent.exited).toBe(0);
    const builders = (await (await gyre.api('/api/v1/builders')).json()) as {
      items: { name: string; state: string }[];
    };
    expect(builders.items.find((b) => b.name === 'agent-local-drain')?.state).toBe('drained');
    // Nothing answers on the port any more: a clear error and the "unreachable" exit code.
    const again = await runGyreAsync(['agent', 'drain', '--api-port', String(agent.apiPort)]);
    expect(again.status).toBe(3);
    expect(again.stderr).toContain('no builder agent answers');
  }, 120_000);

  it('a second SIGTERM stops the running job at once; it is retried as an infrastructure failure', async () => {
    const agent = await spawnAgent(gyre.base, 'agent-stop-now', mkdtempSync(join(tmpdir(), 'gyre-agent-')));
    const pipeline = await run(`version: 2.1
jobs:
  long: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: "echo started; sleep 300" }] }
workflows:
  main: { jobs: [long] }
`);
    const [long] = await waitForJobs(gyre, pipeline, (jobs) => jobs[0]?.state === 'running', 120_000);
    await until('the job to print started', async () => (await jobLog(gyre, long!.id)).includes('started'), {
      intervalMs: 200,
    });
    agent.child.kill('SIGTERM');
    await until('the agent to start draining', () => agent.output().includes('draining: no new jobs'), {
      intervalMs: 200,
    });
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(143);
    const detail = await jobDetail(gyre, long!.id);
    expect(detail.attempts[0]).toMatchObject({
      attempt: 1,
      builder: 'agent-stop-now',
      outcome: 'infrastructure_failed',
      message: 'the builder was stopped before the job ended',
    });
    expect(detail.state).toBe('queued');
    expect(await leftoversOf('agent-stop-now')).toEqual({ containers: 0, networks: 0, volumes: 0 });
    expect((await gyre.api(`/api/v1/pipelines/${pipeline}/cancel`, { method: 'POST' })).status).toBe(200);
  }, 120_000);
});

describe('revocation', () => {
  it('a revoked builder exits 0 and, restarted with its identity, refuses to start: no restart loop', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gyre-agent-'));
    const agent = await spawnAgent(gyre.base, 'agent-revoked', stateDir);
    await until('the agent to open its local API', () => agent.output().includes('local API listening'), {
      intervalMs: 200,
    });
    const builders = (await (await gyre.api('/api/v1/builders')).json()) as { items: { id: number; name: string }[] };
    const id = builders.items.find((b) => b.name === 'agent-revoked')!.id;
    expect((await gyre.api(`/api/v1/builders/${id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toContain('revoked: builder agent-revoked was revoked by an administrator');

    const restarted = await spawnAgent(gyre.base, 'agent-revoked', stateDir);
    expect(await restarted.exited).toBe(0);
    expect(restarted.output()).toContain('this builder was revoked by an administrator; not starting');
    expect(restarted.output()).toContain('gyre builder remove agent-revoked');
  }, 120_000);
});

describe('a crash', () => {
  it('kill -9 mid-job: the job completes on a second builder, the first log is kept, and the restarted agent leaves nothing behind', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'gyre-agent-'));
    const first = await spawnAgent(gyre.base, 'agent-crash', stateDir);
    const pipeline = await run(`version: 2.1
jobs:
  slow: { docker: [{ image: debian:bookworm-slim }], steps: [{ run: "echo attempt-output; sleep 3; echo finished-ok" }] }
workflows:
  main: { jobs: [slow] }
`);
    const [slow] = await waitForJobs(gyre, pipeline, (jobs) => jobs[0]?.state === 'running', 120_000);
    await until(
      'the job to print attempt-output',
      async () => (await jobLog(gyre, slow!.id)).includes('attempt-output'),
      { intervalMs: 200 },
    );
    first.child.kill('SIGKILL');
    await first.exited;
    // The crash left the job's primary container behind (and the holder, network and volume it
    // took from the pool, with whatever the pool had made, perhaps half-way).
    const jobContainers = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABELS.job}=${slow!.id}`, `${LABELS.builder}=agent-crash`] }),
    });
    expect(jobContainers).toHaveLength(1);
    const leftByCrash = await objectsOf('agent-crash');
    expect(leftByCrash.size).toBeGreaterThan(POOL_SIZE);

    const second = await startAgent(gyre.base, 'agent-second');
    const [done] = await waitForJobs(gyre, pipeline, undefined, 150_000);
    expect(done!.state).toBe('success');
    const detail = await jobDetail(gyre, slow!.id);
    expect(detail.attempts.map((a) => [a.attempt, a.builder, a.outcome])).toEqual([
      [1, 'agent-crash', 'infrastructure_failed'],
      [2, 'agent-second', 'success'],
    ]);
    const all = await jobLog(gyre, slow!.id, 'all');
    expect(all).toMatch(
      /--- attempt 1 ---[\s\S]*attempt-output[\s\S]*--- attempt 2 ---[\s\S]*attempt-output[\s\S]*finished-ok/,
    );

    const restarted = await spawnAgent(gyre.base, 'agent-crash', stateDir);
    await until('the restarted agent to open its local API', () => restarted.output().includes('local API listening'), {
      intervalMs: 200,
    });
    // Only what the restarted agent keeps: everything the crash left is gone.
    await untilNothingLeftBy('agent-crash');
    const now = await objectsOf('agent-crash');
    expect([...leftByCrash].filter((object) => now.has(object))).toEqual([]);
    const builders = (await (await gyre.api('/api/v1/builders')).json()) as { items: { name: string }[] };
    expect(builders.items.filter((b) => b.name === 'agent-crash')).toHaveLength(1);
    restarted.child.kill('SIGTERM');
    second.drain();
    expect(await restarted.exited).toBe(0);
    expect((await second.done).code).toBe(0);
  }, 240_000);
});
