import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Agent } from '../../src/builder/agent/agent.js';
import { BUILDER_API_PREFIX } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { LABELS } from '../../src/shared/labels.js';
import { docker, leftoversOf, spawnAgent, startAgent } from '../support/agent-under-test.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { jobDetail, jobLog, pushAndTrigger, waitForJobs } from '../support/pipeline-runs.js';
import { RecordingProxy } from '../support/recording-proxy.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL (reaping every second), a real git server, and
// `gyre agent` running jobs in containers on this machine's Docker Engine.
let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let project: { repo: string; projectId: number };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest({ reapIntervalMs: 1_000 }), startGitServer()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('app');
  const gitUrl = git.url('app');
  const created = (await (await gyre.api('/api/v1/projects', { body: { name: 'acme/lease', gitUrl } })).json()) as {
    id: number;
  };
  project = { repo: 'app', projectId: created.id };
}, 300_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** Containers, networks and volumes labelled as the job's (every attempt, any builder). */
async function objectsOfJob(jobId: number): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${LABELS.job}=${jobId}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 };
}

describe('a 409 on a job write', () => {
  const cases = [
    {
      write: 'heartbeat',
      method: 'POST',
      // Silent after its first line: the next job write is the heartbeat, every second.
      steps: ['echo job-started; sleep 600'],
      heartbeatIntervalMs: 1_000,
    },
    {
      write: 'logs',
      method: 'PUT',
      // Output every 100 ms, shipped every 200 ms; heartbeats far apart: the next job write is a log chunk.
      steps: ['echo job-started; while true; do echo tick; sleep 0.1; done'],
      heartbeatIntervalMs: 300_000,
    },
    {
      write: 'steps',
      method: 'POST',
      // No output after the first line, heartbeats far apart: the next job write is the first step's end.
      steps: ['echo job-started; sleep 6', 'sleep 600'],
      heartbeatIntervalMs: 300_000,
    },
  ];

  it.each(cases)(
    "on a $write write removes the job's containers at once, long before the job's own end, and completes nothing",
    async ({ write, method, steps, heartbeatIntervalMs }) => {
      // GIVEN an agent (behind a proxy that records each answer) running a job that would take 10 minutes
      const builderName = `agent-409-${write}`;
      const proxy = await RecordingProxy.start(gyre.base);
      const agent: Agent = await startAgent(proxy.url, builderName, { heartbeatIntervalMs });
      try {
        const pipeline = await pushAndTrigger(
          gyre,
          git,
          project,
          `version: 2.1
jobs:
  long:
    docker: [{ image: debian:bookworm-slim }]
    steps:
${steps.map((command) => `      - run: ${JSON.stringify(command)}`).join('\n')}
workflows:
  main: { jobs: [long] }
`,
        );
        const [running] = await waitForJobs(gyre, pipeline, (jobs) => jobs[0]?.state === 'running', 120_000);
        const jobId = running!.id;
        await until('the first line of the job', async () => (await jobLog(gyre, jobId)).includes('job-started'));
        expect((await objectsOfJob(jobId)).containers).toBeGreaterThan(0);

        // WHEN the services box gives the job another lease, so the agent's one is stale
        const staleAt = Date.now();
        const { rowCount } = await db.query(
          "UPDATE jobs SET lease_id = gen_random_uuid() WHERE id = $1 AND state = 'running'",
          [jobId],
        );
        expect(rowCount).toBe(1);

        const jobPath = `${BUILDER_API_PREFIX}/jobs/${jobId}/`;
        const first409 = await until('the first 409', () =>
          proxy.calls().find((c) => c.path.startsWith(jobPath) && c.status === 409),
        );
        expect(first409).toEqual({ method, path: `${jobPath}${write}`, status: 409 });
        await until('the job containers to be removed', async () => (await objectsOfJob(jobId)).containers === 0);
        const removedAfterMs = Date.now() - staleAt;
        expect(removedAfterMs).toBeLessThan(30_000);
        await until('the agent to end the session', () => !agent.status().runningJobs.includes(jobId));
        expect(await objectsOfJob(jobId)).toEqual({ containers: 0, networks: 0, volumes: 0 });
        // Nothing after the refusal succeeded, and the attempt was never completed.
        const jobCalls = proxy.calls().filter((c) => c.path.startsWith(jobPath));
        const after = jobCalls.slice(jobCalls.indexOf(first409));
        expect(after.filter((c) => c.status !== 409)).toEqual([]);
        expect(jobCalls.filter((c) => c.path.endsWith('/complete'))).toEqual([]);

        // The job is still the services box's to end: cancel it and let its lease run out.
        expect(await (await gyre.api(`/api/v1/pipelines/${pipeline}/cancel`, { method: 'POST' })).json()).toEqual({
          canceled: 0,
          signalled: 1,
        });
        await db.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
        expect((await waitForJobs(gyre, pipeline)).map((j) => j.state)).toEqual(['canceled']);
      } finally {
        agent.drain();
        expect((await agent.done).code).toBe(0);
        await proxy.stop();
      }
      expect(await leftoversOf(builderName)).toEqual({ containers: 0, networks: 0, volumes: 0 });
    },
    240_000,
  );
});

describe('an agent restarted with its identity', () => {
  it('has the job it was running requeued when it registers again, and runs it as the next attempt', async () => {
    // GIVEN an agent process running a job whose first attempt would take 10 minutes
    const stateDir = mkdtempSync(join(tmpdir(), 'gyre-agent-'));
    const first = await spawnAgent(gyre.base, 'agent-restarted', stateDir);
    const pipeline = await pushAndTrigger(
      gyre,
      git,
      project,
      `version: 2.1
jobs:
  resumable:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run: 'echo "attempt $GYRE_ATTEMPT started"; if [ "$GYRE_ATTEMPT" = 1 ]; then sleep 600; fi; echo finished'
workflows:
  main: { jobs: [resumable] }
`,
    );
    const [running] = await waitForJobs(gyre, pipeline, (jobs) => jobs[0]?.state === 'running', 120_000);
    await until('the first attempt to start', async () =>
      (await jobLog(gyre, running!.id)).includes('attempt 1 started'),
    );

    // WHEN the agent dies and comes back with the identity in its state folder
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const restarted = await spawnAgent(gyre.base, 'agent-restarted', stateDir);
    try {
      const [done] = await waitForJobs(gyre, pipeline, undefined, 120_000);
      expect(done!.state).toBe('success');
      const detail = await jobDetail(gyre, running!.id);
      // Requeued by the registration, not by the lease running out (which would take 60 s and say so).
      expect(detail.attempts.map((a) => [a.attempt, a.builder, a.outcome, a.message])).toEqual([
        [1, 'agent-restarted', 'infrastructure_failed', 'builder agent-restarted restarted while the job ran'],
        [2, 'agent-restarted', 'success', null],
      ]);
      expect(await jobLog(gyre, running!.id, 'all')).toMatch(
        /--- attempt 1 ---\n[\s\S]*attempt 1 started[\s\S]*--- attempt 2 ---\n[\s\S]*attempt 2 started\nfinished/,
      );
      const builders = (await (await gyre.api('/api/v1/builders')).json()) as { items: { name: string }[] };
      expect(builders.items.filter((b) => b.name === 'agent-restarted')).toHaveLength(1);
    } finally {
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    }
    expect(await leftoversOf('agent-restarted')).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, 240_000);
});
