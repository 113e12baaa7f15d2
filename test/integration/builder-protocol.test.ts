import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { LeaseBatches } from '../../src/services/stores/jobs/lease-batches.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL, reaping every second, and builders that are real
// HTTP clients of the protocol.
let gyre: ServicesUnderTest;
let db: Database;
let projectId: number;
let builderCount = 0;
const join = (facts: Partial<Parameters<typeof SimulatedBuilder.join>[2]> = {}) =>
  SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: `b${++builderCount}`, ...facts });
const jobState = async (id: number) =>
  (await db.query<{ state: string; attempt: number }>('SELECT state, attempt FROM jobs WHERE id = $1', [id])).rows[0]!;

beforeAll(async () => {
  gyre = await startServicesUnderTest({ reapIntervalMs: 1_000 });
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  const project = await gyre.api('/api/v1/projects', {
    body: { name: 'sched/p', gitUrl: 'https://git.example.com/p.git' },
  });
  projectId = ((await project.json()) as { id: number }).id;
}, 180_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

describe('the builder protocol', () => {
  it('gives 1,000 jobs to 20 racing builders with no job claimed twice', async () => {
    const { workflowId } = await seedWorkflow(
      db,
      projectId,
      Array.from({ length: 1000 }, (_, i) => ({ name: `job-${i}` })),
    );
    const builders = await Promise.all(Array.from({ length: 20 }, () => join()));
    const claims: number[] = [];
    await Promise.all(
      builders.map(async (builder) => {
        for (;;) {
          const { leases } = await builder.lease(4);
          if (leases.length === 0) return;
          for (const lease of leases) {
            claims.push(lease.jobId);
            await builder.run(lease);
          }
        }
      }),
    );
    expect(claims.length).toBe(1000);
    expect(new Set(claims).size).toBe(1000);
    const states = await db.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM jobs WHERE workflow_id = $1 GROUP BY state',
      [workflowId],
    );
    expect(states.rows).toEqual([{ state: 'success', n: 1000 }]);
  }, 300_000);

  it('gives each of 10 builders polling at the same moment its share of the queue', async () => {
    // (Leases that raced on the same head of the queue left all but one builder empty-handed.)
    const { workflowId } = await seedWorkflow(
      db,
      projectId,
      Array.from({ length: 40 }, (_, i) => ({ name: `share-${i}` })),
    );
    const builders = await Promise.all(Array.from({ length: 10 }, () => join()));
    const answers = await Promise.all(builders.map((builder) => builder.lease(4)));
    expect(answers.map((answer) => answer.leases.length)).toEqual(Array(10).fill(4));
    const ids = answers.flatMap((answer) => answer.leases.map((lease) => lease.jobId));
    expect(new Set(ids).size).toBe(40);
    await Promise.all(
      builders.map(async (builder, i) => {
        for (const lease of answers[i]!.leases) await builder.run(lease);
      }),
    );
    const left = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM jobs WHERE workflow_id = $1 AND state <> 'success'",
      [workflowId],
    );
    expect(left.rows[0]!.n).toBe(0);
  }, 120_000);

  it('leases waiting together in one transaction, each seeing the claims before it, and fails only the lease that fails', async () => {
    await seedWorkflow(
      db,
      projectId,
      Array.from({ length: 8 }, (_, i) => ({ name: `batch-${i}` })),
    );
    const [first, second] = await Promise.all([join(), join()]);
    const batches = new LeaseBatches(db);
    // The first runs alone at once; the next two wait for it and go together, where the one whose
    // running job id is out of bigint's range fails the transaction, and each then goes alone.
    const [a, broken, b] = await Promise.allSettled([
      batches.lease(first.id, 4),
      batches.lease(second.id, 4, [2 ** 64]),
      batches.lease(second.id, 4),
    ]);
    expect(broken).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('out of range') } });
    const ids = [a, b].flatMap((answer) => (answer.status === 'fulfilled' ? answer.value.map((l) => l.jobId) : []));
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    for (const lease of [a, b].flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : [])))
      await db.query("UPDATE jobs SET state = 'success', finished_at = now() WHERE id = $1", [lease.jobId]);
  }, 60_000);

  it('runs a workflow in dependency order and marks the dependents of a failure not_run', async () => {
    const { workflowId } = await seedWorkflow(db, projectId, [
      { name: 'build' },
      { name: 'unit', requires: ['build'] },
      { name: 'lint', requires: ['build'] },
      { name: 'deploy', requires: ['unit', 'lint'] },
      { name: 'notify', requires: ['deploy'] },
    ]);
    const builder = await join();
    const order: string[] = [];
    for (;;) {
      const { leases } = await builder.lease(4);
      if (leases.length === 0) break;
      for (const lease of leases) {
        order.push(lease.context.jobName);
        await builder.run(lease, lease.context.jobName === 'lint' ? 'failed' : 'success');
      }
    }
    expect(order[0]).toBe('build');
    expect(order.slice(1).sort()).toEqual(['lint', 'unit']);
    const states = await db.query<{ name: string; state: string }>(
      'SELECT name, state FROM jobs WHERE workflow_id = $1 ORDER BY id',
      [workflowId],
    );
    expect(Object.fromEntries(states.rows.map((r) => [r.name, r.state]))).toEqual({
      build: 'success',
      unit: 'success',
      lint: 'failed',
      deploy: 'not_run',
      notify: 'not_run',
    });
    expect(
      (await db.query<{ state: string }>('SELECT state FROM workflows WHERE id = $1', [workflowId])).rows[0]!.state,
    ).toBe('failed');
  }, 60_000);

  it('requeues the job of a builder that stops heartbeating as the next attempt within 75 s, and refuses the stale writer with 409', async () => {
    const [{ workflowId }, silent] = await Promise.all([seedWorkflow(db, projectId, [{ name: 'abandoned' }]), join()]);
    const [lease] = (await silent.lease(1)).leases;
    expect(lease?.context.workflowName).toBe('w');
    // The lease names its workflow and pipeline, and the project's latest earlier job on the
    // branch (the first test's): CIRCLE_WORKFLOW_ID, CIRCLE_PIPELINE_ID, CIRCLE_PREVIOUS_BUILD_NUM.
    const earlier = await db.query<{ id: string; pipeline_id: string }>(
      'SELECT max(j.id) AS id, (SELECT pipeline_id FROM workflows WHERE id = $1) AS pipeline_id FROM jobs j WHERE j.id < $2',
      [workflowId, lease!.jobId],
    );
    expect(lease?.context).toMatchObject({
      workflowId,
      pipelineId: Number(earlier.rows[0]!.pipeline_id),
      previousJobId: Number(earlier.rows[0]!.id),
    });
    expect((await silent.ack(lease!)).status).toBe(204);
    await until(
      'the job of the silent builder to be requeued',
      async () => (await jobState(lease!.jobId)).state === 'queued',
      {
        timeoutMs: 75_000,
        intervalMs: 500,
      },
    );
    const rescuer = await join();
    const [second] = (await rescuer.lease(1)).leases;
    expect(second).toMatchObject({ jobId: lease!.jobId, attempt: lease!.attempt + 1 });
    const stale = [
      silent.ack(lease!),
      silent.heartbeat(lease!),
      silent.step(lease!, { index: 0, name: 'x', user: true, status: 'started' }),
      silent.log(lease!, 0, 0, 'late'),
      silent.complete(lease!, 'success'),
    ];
    for (const write of stale) {
      expect((await write).status).toBe(409);
    }
    await rescuer.run(second!);
    expect(await jobState(lease!.jobId)).toEqual({ state: 'success', attempt: lease!.attempt + 1 });
    expect(workflowId).toBeGreaterThan(0);
  }, 120_000);

  it('never leases a job to a draining builder, over 1,000 drains racing long-polls', async () => {
    const builders = await Promise.all(Array.from({ length: 5 }, () => join()));
    let stop = false;
    let leased = 0;
    const pollers = builders.map(async (builder) => {
      while (!stop) {
        for (const lease of (await builder.lease(1, 0.2)).leases) {
          leased++;
          await builder.run(lease);
        }
      }
    });
    for (let i = 0; i < 1000; i++) {
      const target = builders[i % builders.length]!;
      await seedWorkflow(db, projectId, [{ name: `d${i}` }]);
      expect((await gyre.api(`/api/v1/builders/${target.id}/drain`, { body: { deadlineSeconds: 600 } })).status).toBe(
        200,
      );
      expect((await gyre.api(`/api/v1/builders/${target.id}/drain`, { method: 'DELETE' })).status).toBe(200);
    }
    stop = true;
    await Promise.all(pollers);
    expect(leased).toBeGreaterThan(0);
    // Every drain and its cancellation are in the audit log, timed under the builder's row lock,
    // as every lease is: no lease may fall between a drain and the cancellation that followed it.
    const violations = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM job_attempts a
       JOIN audit_log d ON d.action = 'builder.drain' AND d.target = a.builder_id::text AND d.at < a.leased_at
       WHERE NOT EXISTS (SELECT 1 FROM audit_log c WHERE c.action = 'builder.cancel_drain' AND c.target = d.target AND c.at > d.at AND c.at < a.leased_at)`,
    );
    expect(violations.rows[0]!.n).toBe(0);
    const drains = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'builder.drain'",
    );
    expect(drains.rows[0]!.n).toBe(1000);
  }, 600_000);

  it('stores log chunks sent by the lease holder once each, in order, whatever order and repeats they arrive in', async () => {
    await seedWorkflow(db, projectId, [{ name: 'logger' }]);
    const builder = await join();
    const [lease] = (await builder.lease(1)).leases;
    await builder.ack(lease!);
    const sends = [
      [0, 1, 'two\n'],
      [0, 0, 'one\n'],
      [0, 1, 'two\n'],
      [1, 0, 'three\n'],
    ] as const;
    for (const [step, seq, text] of sends) expect((await builder.log(lease!, step, seq, text)).status).toBe(204);
    await builder.complete(lease!, 'success');
    const log = await gyre.api(`/api/v1/jobs/${lease!.jobId}/log`);
    expect(await log.text()).toBe('one\ntwo\nthree\n');
  });

  it('shows each attempt with its builder, outcome and steps (status, exit code, timing) in the job API', async () => {
    await seedWorkflow(db, projectId, [{ name: 'reported' }]);
    const builder = await join();
    const [lease] = (await builder.lease(1)).leases;
    await builder.ack(lease!);
    await builder.step(lease!, { index: 0, name: 'Checkout code', user: true, status: 'started' });
    await builder.step(lease!, { index: 0, name: 'Checkout code', user: true, status: 'finished', exitCode: 0 });
    await builder.step(lease!, { index: 1, name: 'npm test', user: true, status: 'started' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await builder.step(lease!, { index: 1, name: 'npm test', user: true, status: 'finished', exitCode: 3 });
    expect((await builder.complete(lease!, 'failed', 'step npm test exited with 3')).status).toBe(204);
    const job = (await (await gyre.api(`/api/v1/jobs/${lease!.jobId}`)).json()) as {
      state: string;
      message: string;
      attempts: { builder: string; outcome: string; steps: { name: string; exitCode: number; durationMs: number }[] }[];
    };
    expect(job).toMatchObject({ state: 'failed', message: 'step npm test exited with 3' });
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0]).toMatchObject({ outcome: 'failed', builder: expect.stringMatching(/^b\d+$/) });
    expect(job.attempts[0]!.steps.map((s) => [s.name, s.exitCode])).toEqual([
      ['Checkout code', 0],
      ['npm test', 3],
    ]);
    expect(job.attempts[0]!.steps[1]!.durationMs).toBeGreaterThanOrEqual(40);
  });

  it("refuses a completion without the agent's statement that its logs were acknowledged", async () => {
    await seedWorkflow(db, projectId, [{ name: 'unacknowledged' }]);
    const builder = await join();
    const [lease] = (await builder.lease(1)).leases;
    await builder.ack(lease!);
    const answer = await builder.call(`/jobs/${lease!.jobId}/complete`, {
      attempt: lease!.attempt,
      leaseId: lease!.leaseId,
      outcome: 'success',
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('logsAcknowledged');
  });
});
