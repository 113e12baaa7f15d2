import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { BUILDER_API_PREFIX } from '../../src/protocol/index.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { seedWorkflow } from '../support/seed-jobs.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { SimulatedBuilder } from '../support/simulated-builder.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL, reaping every second, and simulated builders.
let gyre: ServicesUnderTest;
let db: Database;
let projectId: number;
let count = 0;
/** The join secret in force; the rotation test replaces it. */
let joinSecret = TEST_SECRETS.GYRE_JOIN_SECRET;
const join = (secret = joinSecret, facts: Partial<Parameters<typeof SimulatedBuilder.join>[2]> = {}) =>
  SimulatedBuilder.join(gyre.base, secret, { name: `f${++count}`, ...facts });
const stateOf = async (jobId: number) =>
  (
    await db.query<{ state: string; cancel_requested: boolean }>(
      'SELECT state, cancel_requested FROM jobs WHERE id = $1',
      [jobId],
    )
  ).rows[0]!;
const register = (authorization: string, body: unknown) =>
  fetch(`${gyre.base}${BUILDER_API_PREFIX}/register`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const facts = (name: string) => ({
  name,
  host: 'h',
  cpus: 4,
  memoryBytes: 8 * 1024 ** 3,
  dockerVersion: '20.10',
  version: 't',
  slots: 1,
  slotCpus: 2,
  slotMemoryBytes: 4 * 1024 ** 3,
});

/** Leases jobs one by one until it gets `name`, finishing any job earlier tests left queued. */
async function leaseNamed(builder: SimulatedBuilder, name: string) {
  for (;;) {
    const [lease] = (await builder.lease(1)).leases;
    if (!lease) throw new Error(`job ${name} was never leased`);
    if (lease.context.jobName === name) return lease;
    await builder.run(lease);
  }
}

/** How these tests wait for what the services app does on its own: up to 15 s, a look every 200 ms. */
const POLL = { timeoutMs: 15_000, intervalMs: 200 };

beforeAll(async () => {
  gyre = await startServicesUnderTest({ reapIntervalMs: 1_000 });
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  projectId = (
    (await (
      await gyre.api('/api/v1/projects', { body: { name: 'fleet/p', gitUrl: 'https://git.example.com/p.git' } })
    ).json()) as { id: number }
  ).id;
}, 180_000);

afterAll(async () => {
  await db?.end();
  await gyre?.stop();
}, 60_000);

describe('joining', () => {
  it('refuses a wrong join secret with 401 and a taken name with 409', async () => {
    const wrong = await register('Join not-the-secret', { facts: facts('nobody') });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(
      /join secret is missing or wrong/,
    );
    await join(undefined, { name: 'taken' });
    const clash = await register(`Join ${joinSecret}`, { facts: facts('taken') });
    expect(clash.status).toBe(409);
  });

  it('keeps the same builder when it re-registers with its identity after a restart', async () => {
    const first = await register(`Join ${TEST_SECRETS.GYRE_JOIN_SECRET}`, { facts: facts('restarts') });
    const identity = (await first.json()) as { builderId: number; credential: string };
    const again = await register(`Join ${TEST_SECRETS.GYRE_JOIN_SECRET}`, {
      facts: { ...facts('restarts'), slots: 3 },
      identity: { builderId: identity.builderId, credential: identity.credential },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ builderId: identity.builderId, state: 'active' });
  });

  it('accepts a rotated join secret at once and the old one only during the grace period', async () => {
    type Age = { createdAt: string; previousValidUntil: string | null };
    const seeded = (await (await gyre.api('/api/v1/join-secret')).json()) as Age;
    expect(seeded.previousValidUntil).toBeNull();
    const rotated = (await (await gyre.api('/api/v1/join-secret/rotate', { body: { graceSeconds: 2 } })).json()) as {
      joinSecret: string;
    };
    // Its age starts again, and the old one's end of grace is told (never either secret)
    const age = await (await gyre.api('/api/v1/join-secret')).text();
    expect(age).not.toContain(rotated.joinSecret);
    const after = JSON.parse(age) as Age;
    expect(Date.parse(after.createdAt)).toBeGreaterThan(Date.parse(seeded.createdAt));
    expect(Date.parse(after.previousValidUntil!)).toBeGreaterThan(Date.now());
    await join(rotated.joinSecret);
    await join(TEST_SECRETS.GYRE_JOIN_SECRET);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await register(`Join ${TEST_SECRETS.GYRE_JOIN_SECRET}`, { facts: facts('too-late') })).status).toBe(401);
    await join(rotated.joinSecret);
    joinSecret = rotated.joinSecret;
  });
});

describe('draining and revoking', () => {
  it('drains with the default 30-minute deadline when the POST has no body, and cancels the drain', async () => {
    const builder = await join();
    const drained = await gyre.api(`/api/v1/builders/${builder.id}/drain`, { method: 'POST' });
    expect(drained.status).toBe(200);
    const body = (await drained.json()) as { state: string; drainDeadline: string };
    expect(body.state).toBe('draining');
    const inMinutes = (Date.parse(body.drainDeadline) - Date.now()) / 60_000;
    expect(inMinutes).toBeGreaterThan(29);
    expect(inMinutes).toBeLessThanOrEqual(30);
    const canceled = await gyre.api(`/api/v1/builders/${builder.id}/drain`, { method: 'DELETE' });
    expect(((await canceled.json()) as { state: string }).state).toBe('active');
  });

  it('stops and requeues a draining builder’s running job at the deadline, then shows it drained', async () => {
    await seedWorkflow(db, projectId, [{ name: 'long' }]);
    const builder = await join();
    const lease = await leaseNamed(builder, 'long');
    await builder.ack(lease);
    const drained = await gyre.api(`/api/v1/builders/${builder.id}/drain`, { body: { deadlineSeconds: 1 } });
    expect(await drained.json()).toMatchObject({ state: 'draining', drainDeadline: expect.any(String) });
    expect((await builder.heartbeat(lease)).body).toMatchObject({ builder: { state: 'draining' } });
    await until('the job to be requeued', async () => (await stateOf(lease.jobId)).state === 'queued', POLL);
    expect((await builder.heartbeat(lease)).status).toBe(409);
    await until(
      'the builder to be drained',
      async () =>
        ((await (await gyre.api('/api/v1/builders')).json()) as { items: { id: number; state: string }[] }).items.find(
          (b) => b.id === builder.id,
        )?.state === 'drained',
      POLL,
    );
    expect((await builder.lease(1)).leases).toEqual([]);
  }, 30_000);

  it('requeues a revoked builder’s jobs at once and refuses its credential', async () => {
    await seedWorkflow(db, projectId, [{ name: 'revoked-job' }]);
    const builder = await join();
    const lease = await leaseNamed(builder, 'revoked-job');
    await builder.ack(lease);
    const revoked = (await (await gyre.api(`/api/v1/builders/${builder.id}/revoke`, { method: 'POST' })).json()) as {
      state: string;
      requeued: number;
    };
    expect(revoked).toMatchObject({ state: 'revoked', requeued: 1 });
    expect((await stateOf(lease.jobId)).state).toBe('queued');
    const refused = await builder.call<{ error: { code: string; message: string } }>('/lease', {
      max: 1,
      waitSeconds: 0,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('builder_revoked');
    expect(refused.body.error.message).toMatch(
      /^builder f\d+ was revoked by an administrator; remove it on its host with `gyre builder remove f\d+`/,
    );
    expect((await builder.registerAgain(joinSecret)).status).toBe(403);
    expect((await builder.call('/heartbeat')).status).toBe(403);
  });
});

describe('cancel and capacity', () => {
  it('cancels queued jobs at once and signals running ones through their heartbeat', async () => {
    const { pipelineId } = await seedWorkflow(db, projectId, [
      { name: 'running' },
      { name: 'after', requires: ['running'] },
    ]);
    const builder = await join();
    const lease = await leaseNamed(builder, 'running');
    await builder.ack(lease);
    expect(await (await gyre.api(`/api/v1/pipelines/${pipelineId}/cancel`, { method: 'POST' })).json()).toEqual({
      canceled: 1,
      signalled: 1,
    });
    expect((await builder.heartbeat(lease)).body).toMatchObject({ cancel: true });
    expect((await builder.complete(lease, 'canceled')).status).toBe(204);
    expect(await stateOf(lease.jobId)).toMatchObject({ state: 'canceled' });
  });

  it('keeps a job no builder can fit queued, with the reason visible in the queue', async () => {
    // The largest builder here: 8 slots of 4 CPUs and 8 GiB (the others have at most 8 CPUs and 16 GiB).
    const builder = await join(joinSecret, { slots: 8, slotCpus: 4, slotMemoryBytes: 8 * 1024 ** 3 });
    await seedWorkflow(db, projectId, [{ name: 'huge', cpus: 64, memoryGiB: 256 }]);
    const queue = (await (await gyre.api('/api/v1/queue')).json()) as {
      depth: number;
      items: { name: string; waitingBecause: string }[];
    };
    expect(queue.items.find((i) => i.name === 'huge')?.waitingBecause).toBe(
      'needs 64 CPU / 256 GiB; the largest builder has 32 CPU / 64 GiB for jobs',
    );
    expect((await builder.lease(4)).leases.map((l) => l.context.jobName)).not.toContain('huge');
  });
});
