import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Agent } from '../../src/builder/agent/agent.js';
import { BUILDER_API_PREFIX, MAX_LEASE_WAIT_S } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { startAgent } from '../support/agent-under-test.js';
import { RecordingProxy } from '../support/recording-proxy.js';
import { statementsDuring } from '../support/postgres.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL, reached over real HTTP, with no job queued.
let gyre: ServicesUnderTest;
let db: Database;
let projectId: number;

beforeAll(async () => {
  gyre = await startServicesUnderTest();
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  const project = await gyre.api('/api/v1/projects', {
    body: { name: 'idle/p', gitUrl: 'https://git.example.com/p.git' },
  });
  projectId = ((await project.json()) as { id: number }).id;
}, 180_000);

// A job a failed test left queued would reach the next test's builders.
afterEach(async () => {
  await db.query("UPDATE jobs SET state = 'canceled', finished_at = now() WHERE state IN ('queued', 'leased')");
});

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

describe('an idle lease long-poll', () => {
  it('holds for its waitSeconds when no job is queued', async () => {
    const builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'holder' });
    const started = performance.now();
    const answer = await builder.lease(1, 3);
    const heldMs = performance.now() - started;
    expect(answer.leases).toEqual([]);
    // It may answer a little late (a poll in progress), never early.
    expect(heldMs).toBeGreaterThanOrEqual(2_950);
    expect(heldMs).toBeLessThan(3_000 + 2_500);
  }, 30_000);

  it('still hands over a job queued during the wait within 100 ms', async () => {
    const builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, { name: 'waiter' });
    let answeredAt = 0;
    const leasing = builder.lease(1, 20).then((answer) => ((answeredAt = performance.now()), answer));
    // WHEN a job is queued while the poll still waits, a second into it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answeredAt).toBe(0);
    await seedWorkflow(db, projectId, [{ name: 'queued-during-wait' }]);
    const queuedAt = performance.now();
    const answer = await leasing;
    expect(answer.leases.map((lease) => lease.context.jobName)).toEqual(['queued-during-wait']);
    expect(answeredAt - queuedAt).toBeLessThan(100);
  }, 30_000);

  it('answers a waiting poll as soon as its builder is drained', async () => {
    const builder = await SimulatedBuilder.join(gyre.base, TEST_SECRETS.GYRE_JOIN_SECRET, {
      name: 'drained-while-waiting',
    });
    let answeredAt = 0;
    const leasing = builder.lease(1, 20).then((answer) => ((answeredAt = performance.now()), answer));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answeredAt).toBe(0);
    const drained = await gyre.api(`/api/v1/builders/${builder.id}/drain`, { body: { deadlineSeconds: 600 } });
    expect(drained.status).toBe(200);
    const drainedAt = performance.now();
    const answer = await leasing;
    expect(answer).toEqual({ leases: [], builder: expect.objectContaining({ state: 'draining' }) });
    // The notification ends the wait: far sooner than the 20 s the poll asked for.
    expect(answeredAt - drainedAt).toBeLessThan(1_000);
  }, 30_000);

  it('costs one idle agent at most 60 / waitSeconds + 2 lease calls, and the idle app at most 60 SQL statements, a minute', async () => {
    const proxy = await RecordingProxy.start(gyre.base);
    let agent: Agent | undefined;
    try {
      agent = await startAgent(proxy.url, 'idle-agent');
      const lease = `${BUILDER_API_PREFIX}/lease`;
      await until('the agent to ask for a lease', () => proxy.count(lease) > 0, { timeoutMs: 30_000, intervalMs: 50 });
      const before = proxy.count(lease);
      // A measuring window, not a wait for an event: what one idle minute costs is the result.
      const statements = await statementsDuring(
        gyre.database,
        db,
        () => new Promise((resolve) => setTimeout(resolve, 60_000)),
      );
      const calls = proxy.count(lease) - before;
      expect(calls).toBeLessThanOrEqual(60 / MAX_LEASE_WAIT_S + 2);
      expect(calls).toBeGreaterThanOrEqual(1);
      // Everything in the app that polls (the lease loop, the reaper, the status poster) shows here.
      expect(statements.length).toBeLessThanOrEqual(60);
    } finally {
      agent?.stopNow();
      await agent?.done;
      await proxy.stop();
    }
  }, 120_000);
});
