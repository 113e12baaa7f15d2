import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { BUILDER_LOST_AFTER_MS, MAX_INFRASTRUCTURE_RETRIES, type JobLease } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL, reaping every second, and builders that are real
// HTTP clients of the protocol. Leases "expire" by moving their expiry into the past in the
// database, so that each lost attempt costs one reaper pass instead of the 60 s lease.
let gyre: ServicesUnderTest;
let db: Database;
let projectId: number;
let builderCount = 0;

const LEASE_EXPIRED = 'the lease expired: the builder stopped renewing it';

const join = () => SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: `rq${++builderCount}` });

interface JobRow {
  state: string;
  attempt: number;
  infrastructure_retries: number;
  queue_priority: number;
  message: string | null;
}

const jobRow = async (id: number): Promise<JobRow> =>
  (
    await db.query<JobRow>(
      'SELECT state, attempt, infrastructure_retries, queue_priority, message FROM jobs WHERE id = $1',
      [id],
    )
  ).rows[0]!;

/** job_attempts of a job as [attempt, outcome, message, finished], in order. */
const attemptsOf = async (id: number) =>
  (
    await db.query<{ attempt: number; outcome: string | null; message: string | null; finished: boolean }>(
      'SELECT attempt, outcome, message, finished_at IS NOT NULL AS finished FROM job_attempts WHERE job_id = $1 ORDER BY attempt',
      [id],
    )
  ).rows.map((a) => [a.attempt, a.outcome, a.message, a.finished]);

const jobIdOf = async (workflowId: number, name: string) =>
  Number(
    (await db.query<{ id: string }>('SELECT id FROM jobs WHERE workflow_id = $1 AND name = $2', [workflowId, name]))
      .rows[0]!.id,
  );

/** Leases one job and checks that it is the expected one. */
async function leaseOne(builder: SimulatedBuilder, jobId: number, attempt: number): Promise<JobLease> {
  const { leases } = await builder.lease(1);
  expect(leases.map((l) => [l.jobId, l.attempt])).toEqual([[jobId, attempt]]);
  return leases[0]!;
}

/** Acks the lease and reports what a real agent reports before the first user step, then that step's start. */
async function startUserStep(builder: SimulatedBuilder, lease: JobLease): Promise<void> {
  expect((await builder.ack(lease)).status).toBe(204);
  expect(
    (await builder.step(lease, { index: 0, name: 'Spin up environment', user: false, status: 'started' })).status,
  ).toBe(204);
  expect(
    (await builder.step(lease, { index: 0, name: 'Spin up environment', user: false, status: 'finished', exitCode: 0 }))
      .status,
  ).toBe(204);
  expect((await builder.step(lease, { index: 1, name: 'make test', user: true, status: 'started' })).status).toBe(204);
}

/** Makes the reaper see the lease as expired, and waits until it has handled the job. */
async function expireLease(jobId: number): Promise<JobRow> {
  await db.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
  return until(
    'the reaper to handle the expired lease',
    async () => {
      const row = await jobRow(jobId);
      return ['leased', 'running'].includes(row.state) ? undefined : row;
    },
    { timeoutMs: 20_000 },
  );
}

/** One attempt that starts a user step and is then lost to an expired lease. */
async function loseAfterUserStep(builder: SimulatedBuilder, jobId: number, attempt: number): Promise<JobRow> {
  await startUserStep(builder, await leaseOne(builder, jobId, attempt));
  return expireLease(jobId);
}

beforeAll(async () => {
  gyre = await startServicesUnderTest({ reapIntervalMs: 1_000 });
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  const project = await gyre.api('/api/v1/projects', {
    body: { name: 'requeue/p', gitUrl: 'https://git.example.com/p.git' },
  });
  projectId = ((await project.json()) as { id: number }).id;
}, 180_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

beforeEach(async () => {
  // Each test leaves its jobs finished; a leftover from a failed test must not become the next one's lease.
  const left = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'leased', 'running', 'blocked')",
  );
  expect(left.rows[0]!.n).toBe(0);
});

describe('infrastructure retries', () => {
  it(`ends a job as infrastructure_failed on its third attempt lost after a user step started (${MAX_INFRASTRUCTURE_RETRIES} retries), recording every attempt`, async () => {
    // GIVEN a job with a dependent, and a builder that starts a user step on every attempt and then goes silent
    const { workflowId } = await seedWorkflow(db, projectId, [
      { name: 'flaky-infra' },
      { name: 'deploy', requires: ['flaky-infra'] },
    ]);
    const jobId = await jobIdOf(workflowId, 'flaky-infra');
    const builder = await join();

    expect(await loseAfterUserStep(builder, jobId, 1)).toMatchObject({
      state: 'queued',
      infrastructure_retries: 1,
      queue_priority: 0,
    });
    expect(await loseAfterUserStep(builder, jobId, 2)).toMatchObject({
      state: 'queued',
      infrastructure_retries: 2,
      queue_priority: 0,
    });
    expect(await loseAfterUserStep(builder, jobId, 3)).toEqual({
      state: 'infrastructure_failed',
      attempt: 3,
      infrastructure_retries: 2,
      queue_priority: 0,
      message: LEASE_EXPIRED,
    });

    expect(await attemptsOf(jobId)).toEqual([
      [1, 'infrastructure_failed', LEASE_EXPIRED, true],
      [2, 'infrastructure_failed', LEASE_EXPIRED, true],
      [3, 'infrastructure_failed', LEASE_EXPIRED, true],
    ]);
    expect((await jobRow(await jobIdOf(workflowId, 'deploy'))).state).toBe('not_run');
    expect(
      (await db.query<{ state: string }>('SELECT state FROM workflows WHERE id = $1', [workflowId])).rows[0]!.state,
    ).toBe('failed');
    // No fourth attempt: nothing is left to lease.
    expect((await builder.lease(4)).leases).toEqual([]);
    const detail = (await (await gyre.api(`/api/v1/jobs/${jobId}`)).json()) as {
      state: string;
      attempts: { attempt: number; outcome: string }[];
    };
    expect(detail.state).toBe('infrastructure_failed');
    expect(detail.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'infrastructure_failed'],
      [2, 'infrastructure_failed'],
      [3, 'infrastructure_failed'],
    ]);
  }, 90_000);

  it('requeues attempts lost before any user step started as the next attempt without using a retry', async () => {
    // GIVEN a job whose first attempt is never acknowledged and whose second runs only the set-up step
    const { workflowId } = await seedWorkflow(db, projectId, [{ name: 'early-loss' }]);
    const jobId = await jobIdOf(workflowId, 'early-loss');
    const builder = await join();

    await leaseOne(builder, jobId, 1);
    expect(await expireLease(jobId)).toMatchObject({ state: 'queued', infrastructure_retries: 0, queue_priority: 0 });
    const second = await leaseOne(builder, jobId, 2);
    expect((await builder.ack(second)).status).toBe(204);
    expect(
      (await builder.step(second, { index: 0, name: 'Spin up environment', user: false, status: 'started' })).status,
    ).toBe(204);
    expect(await expireLease(jobId)).toMatchObject({ state: 'queued', infrastructure_retries: 0 });

    // The whole retry budget is still there: two more losses after a user step, and the third ends it.
    expect(await loseAfterUserStep(builder, jobId, 3)).toMatchObject({ state: 'queued', infrastructure_retries: 1 });
    expect(await loseAfterUserStep(builder, jobId, 4)).toMatchObject({ state: 'queued', infrastructure_retries: 2 });
    expect(await loseAfterUserStep(builder, jobId, 5)).toMatchObject({ state: 'infrastructure_failed', attempt: 5 });
    expect(await attemptsOf(jobId)).toEqual([
      [1, 'requeued', LEASE_EXPIRED, true],
      [2, 'requeued', LEASE_EXPIRED, true],
      [3, 'infrastructure_failed', LEASE_EXPIRED, true],
      [4, 'infrastructure_failed', LEASE_EXPIRED, true],
      [5, 'infrastructure_failed', LEASE_EXPIRED, true],
    ]);
  }, 90_000);
});

describe('requeues that use no retry', () => {
  /**
   * A job whose user step started on `holder`, and another job queued after it was leased (so
   * ahead of it by age once it is requeued), for checking that the requeue puts it at the head.
   */
  async function runningWithUserStepAndAnotherQueued(name: string) {
    const { workflowId } = await seedWorkflow(db, projectId, [{ name }]);
    const jobId = await jobIdOf(workflowId, name);
    const holder = await join();
    const lease = await leaseOne(holder, jobId, 1);
    await startUserStep(holder, lease);
    const later = await seedWorkflow(db, projectId, [{ name: `${name}-queued-meanwhile` }]);
    return { jobId, holder, lease, otherJobId: await jobIdOf(later.workflowId, `${name}-queued-meanwhile`) };
  }

  /** The requeued job comes first, then its retries are all there; the other job is run to the end. */
  async function expectHeadOfQueueAndFullRetryBudget(jobId: number, otherJobId: number): Promise<void> {
    const rescuer = await join();
    // Head of the queue: leased before the job that was queued earlier.
    await startUserStep(rescuer, await leaseOne(rescuer, jobId, 2));
    expect(await expireLease(jobId)).toMatchObject({ state: 'queued', infrastructure_retries: 1 });
    expect(await loseAfterUserStep(rescuer, jobId, 3)).toMatchObject({ state: 'queued', infrastructure_retries: 2 });
    expect(await loseAfterUserStep(rescuer, jobId, 4)).toMatchObject({ state: 'infrastructure_failed', attempt: 4 });
    await rescuer.run(await leaseOne(rescuer, otherJobId, 1));
    expect((await jobRow(otherJobId)).state).toBe('success');
  }

  it("requeues a job stopped at its builder's drain deadline at the head of the queue without using a retry, even after a user step started", async () => {
    // GIVEN a builder running a job past its first user step, and another job queued meanwhile
    const { jobId, holder, lease, otherJobId } = await runningWithUserStepAndAnotherQueued('at-deadline');

    const drained = await gyre.api(`/api/v1/builders/${holder.id}/drain`, { body: { deadlineSeconds: 1 } });
    expect(drained.status).toBe(200);
    const requeued = await until(
      'the deadline to requeue the job',
      async () => {
        const row = await jobRow(jobId);
        return row.state === 'queued' ? row : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(requeued).toEqual({
      state: 'queued',
      attempt: 1,
      infrastructure_retries: 0,
      queue_priority: 0,
      message: "stopped at the builder's drain deadline",
    });
    expect(await attemptsOf(jobId)).toEqual([[1, 'requeued', "stopped at the builder's drain deadline", true]]);
    expect((await holder.heartbeat(lease)).status).toBe(409);

    await expectHeadOfQueueAndFullRetryBudget(jobId, otherJobId);
    expect((await attemptsOf(jobId)).map(([attempt, outcome]) => [attempt, outcome])).toEqual([
      [1, 'requeued'],
      [2, 'infrastructure_failed'],
      [3, 'infrastructure_failed'],
      [4, 'infrastructure_failed'],
    ]);
  }, 90_000);

  it("requeues a revoked builder's job at once at the head of the queue without using a retry, even after a user step started", async () => {
    // GIVEN a builder running a job past its first user step, and another job queued meanwhile
    const { jobId, holder, otherJobId } = await runningWithUserStepAndAnotherQueued('revoked');
    const name = `rq${builderCount}`;

    const revoked = await gyre.api(`/api/v1/builders/${holder.id}/revoke`, { method: 'POST' });
    expect(await revoked.json()).toMatchObject({ state: 'revoked', requeued: 1 });
    expect(await jobRow(jobId)).toEqual({
      state: 'queued',
      attempt: 1,
      infrastructure_retries: 0,
      queue_priority: 0,
      message: `builder ${name} was revoked`,
    });
    expect(await attemptsOf(jobId)).toEqual([[1, 'requeued', `builder ${name} was revoked`, true]]);

    await expectHeadOfQueueAndFullRetryBudget(jobId, otherJobId);
    expect((await attemptsOf(jobId)).map(([attempt, outcome]) => [attempt, outcome])).toEqual([
      [1, 'requeued'],
      [2, 'infrastructure_failed'],
      [3, 'infrastructure_failed'],
      [4, 'infrastructure_failed'],
    ]);
  }, 90_000);
});

describe('a builder that registers again with its identity', () => {
  it('has the jobs it was running requeued at once: without a retry before a user step, as an infrastructure failure after one', async () => {
    // GIVEN a builder running two jobs, one still in set-up and one past its first user step
    const { workflowId } = await seedWorkflow(db, projectId, [{ name: 'in-setup' }, { name: 'in-user-step' }]);
    const [setupId, userStepId] = [await jobIdOf(workflowId, 'in-setup'), await jobIdOf(workflowId, 'in-user-step')];
    const builder = await join();
    const leases = (await builder.lease(2)).leases;
    expect(leases.map((l) => [l.jobId, l.attempt]).sort()).toEqual(
      [
        [setupId, 1],
        [userStepId, 1],
      ].sort(),
    );
    const setupLease = leases.find((l) => l.jobId === setupId)!;
    const userStepLease = leases.find((l) => l.jobId === userStepId)!;
    expect((await builder.ack(setupLease)).status).toBe(204);
    await startUserStep(builder, userStepLease);

    // WHEN it registers again with the identity it kept, as a restarted agent does
    const again = await builder.registerAgain(TEST_SECRETS.GYRE_JOIN_SECRET);
    expect(again).toEqual({ status: 200, body: { builderId: builder.id, state: 'active' } });

    const reason = `builder rq${builderCount} restarted while the job ran`;
    expect(await jobRow(setupId)).toEqual({
      state: 'queued',
      attempt: 1,
      infrastructure_retries: 0,
      queue_priority: 0,
      message: reason,
    });
    expect(await jobRow(userStepId)).toEqual({
      state: 'queued',
      attempt: 1,
      infrastructure_retries: 1,
      queue_priority: 0,
      message: reason,
    });
    expect(await attemptsOf(setupId)).toEqual([[1, 'requeued', reason, true]]);
    expect(await attemptsOf(userStepId)).toEqual([[1, 'infrastructure_failed', reason, true]]);
    // The old leases are gone: the restarted builder's stale writes are refused.
    expect((await builder.heartbeat(setupLease)).status).toBe(409);
    expect((await builder.heartbeat(userStepLease)).status).toBe(409);
    // The same builder runs them again as their next attempt.
    const rerun = (await builder.lease(2)).leases;
    expect(rerun.map((l) => [l.jobId, l.attempt]).sort()).toEqual(
      [
        [setupId, 2],
        [userStepId, 2],
      ].sort(),
    );
    for (const lease of rerun) await builder.run(lease);
    expect([(await jobRow(setupId)).state, (await jobRow(userStepId)).state]).toEqual(['success', 'success']);
  }, 60_000);
});

describe('a builder that stops calling', () => {
  it(`becomes lost once unseen for ${BUILDER_LOST_AFTER_MS / 1000} s, while a builder seen recently stays active`, async () => {
    // GIVEN two idle builders: one last seen 91 s ago, one 60 s ago (moved back in the database, not waited for)
    const [silent, recent] = [await join(), await join()];
    await db.query(
      `UPDATE builders SET last_seen_at = now() - CASE id WHEN $1 THEN interval '91 seconds' ELSE interval '60 seconds' END
       WHERE id IN ($1, $2)`,
      [silent.id, recent.id],
    );

    const stateOf = async (id: number) =>
      ((await (await gyre.api('/api/v1/builders')).json()) as { items: { id: number; state: string }[] }).items.find(
        (b) => b.id === id,
      )!.state;
    // The reaper pass that marks the silent builder looks at the recent one in the same statement.
    await until('the silent builder to be marked lost', async () => (await stateOf(silent.id)) === 'lost', {
      timeoutMs: 20_000,
    });
    expect(await stateOf(recent.id)).toBe('active');

    // A lost builder that calls again is active again.
    expect((await silent.call('/heartbeat')).body).toEqual({ builder: { state: 'active', drainDeadline: null } });
    expect(await stateOf(silent.id)).toBe('active');
  }, 60_000);
});
